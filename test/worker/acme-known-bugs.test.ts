/**
 * Regression tests for bugs found in review (issue 19): each reproduced as an `it.fails` before its fix.
 * The OIDC re-binding one moved to acme.test.ts ("OIDC-bound accounts").
 */
import { describe, expect, it } from "vitest";
import { formatCertId } from "../../src/pki/ari.ts";
import { fromHex } from "../../src/pki/bytes.ts";
import { createIntermediateCa, createRootCa } from "../../src/pki/ca-certificate.ts";
import { x509 } from "../../src/pki/x509.ts";
import { acmePost, csrFor, dns, newOrder, pathOf, register, withEnv, type Account, type Transport } from "./acme-helpers.ts";

const DAY = 86_400_000;

async function issued(account: Account, t?: Transport): Promise<{ certUrl: string; pem: string }> {
  const { url } = await newOrder(account, dns("cp.example.com"), {}, t);
  const { csr } = await csrFor(["cp.example.com"]);
  const body = (await (await acmePost(account.key, `${pathOf(url)}/finalize`, { csr }, { kid: account.url }, t)).json()) as { certificate: string };
  return { certUrl: body.certificate, pem: await (await acmePost(account.key, pathOf(body.certificate), "", { kid: account.url }, t)).text() };
}

describe("ACME review regressions", () => {
  // src/store/d1-acme.ts pendingReplacement: a ready order whose authorization was deactivated (certbot
  // --dry-run) reads as invalid (orders.ts orderStatus) but still blocks `replaces` until it expires.
  it("replaces is not blocked by an order that is invalid because its authorization was deactivated", async () => {
    const account = await register();
    const { pem } = await issued(account);
    const cert = new x509.X509Certificate(pem.split(/(?<=-----END CERTIFICATE-----)/)[0]!);
    const certId = formatCertId(fromHex(cert.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId!), cert.serialNumber);
    const dry = await newOrder(account, dns("cp.example.com"), { replaces: certId });
    expect(dry.res.status).toBe(201);
    await acmePost(account.key, pathOf(dry.order.authorizations[0]!), { status: "deactivated" }, { kid: account.url });
    expect(((await (await acmePost(account.key, pathOf(dry.url), "", { kid: account.url })).json()) as { status: string }).status).toBe("invalid");
    expect((await newOrder(account, dns("cp.example.com"), { replaces: certId })).res.status).toBe(201);
  });

  // src/authority/acme/finalize.ts certificateChain: issuerByFingerprint finds no CA for a leaf of the
  // earlier certificate of a re-certified CA, so the download is the leaf alone. Fix: issuerOfRecord.
  it("the download of a re-certified CA's earlier leaf carries the configured chain", async () => {
    const now = Date.now();
    const root = await createRootCa({ subject: "CN=kb root", keyAlgorithm: "ecdsa-p256", notBefore: new Date(now - DAY), notAfter: new Date(now + 3650 * DAY) });
    const issuer = { certificate: root.certificate, privateKey: root.keys.privateKey, keyAlgorithm: "ecdsa-p256" as const };
    const before = await createIntermediateCa(issuer, { subject: "CN=kb issuing", keyAlgorithm: "ecdsa-p256", notBefore: new Date(now - DAY), notAfter: new Date(now + 400 * DAY) });
    const after = await createIntermediateCa(issuer, { subject: "CN=kb issuing", keyAlgorithm: "ecdsa-p256", keys: before.keys, notBefore: new Date(now - DAY), notAfter: new Date(now + 900 * DAY) });
    const envOf = (ca: typeof before) => withEnv({ CA_CERT: ca.certificatePem + root.certificatePem, CA_KEY: ca.privateKeyPem, CA_TRUST: root.certificatePem });
    const account = await register(undefined, envOf(before));
    const { certUrl } = await issued(account, envOf(before));
    const later = await (await acmePost(account.key, pathOf(certUrl), "", { kid: account.url }, envOf(after))).text();
    expect(later.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
  });
});
