/**
 * A real ACME client from the npm registry (acme-client) against the real
 * worker: EAB from POST /v1/acme/eab, newAccount, newOrder (authorizations
 * already valid: no challenge is ever attempted), finalize, download; the
 * chain verifies with OpenSSL against GET /v1/ca for the name, and the
 * ledger records it under the EAB's principal and ACME account.
 */
import * as acme from "acme-client";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir, opensslVerify, post, splitPem, x509 } from "../helpers/interop.ts";
import { type RunningWorker, startRunningWorker } from "../helpers/running-worker.ts";

let worker: RunningWorker;
const temp = makeTempDir("edgeca-acme-");

beforeAll(async () => {
  worker = await startRunningWorker();
});

afterAll(async () => {
  await worker?.stop();
  temp.cleanup();
});

interface Eab {
  kid: string;
  hmac_key: string;
  directory: string;
  expires_at: string;
}

async function eab(token = worker.authority.tokens.zoneA): Promise<Eab> {
  const res = await post(worker, "/v1/acme/eab", {}, token);
  if (res.status !== 201) throw new Error(`eab → ${res.status}: ${res.body.toString("utf8")}`);
  return res.json<Eab>();
}

const noChallenge = async () => {
  throw new Error("the server asked for a challenge: its authorizations should be valid already");
};

function file(name: string, text: string): string {
  const path = join(temp.dir, name);
  writeFileSync(path, text);
  return path;
}

describe("acme-client against edgeca", () => {
  it("registers with EAB, orders, finalizes and downloads a chain that OpenSSL verifies for the name (RSA-2048 account key, as cert-manager's default)", async () => {
    const credential = await eab();
    expect(credential.directory).toBe(`${worker.url}/acme/directory`);
    // cert-manager and go-jose: unpadded base64url, at least 32 bytes.
    expect(credential.hmac_key).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    const client = new acme.Client({
      directoryUrl: credential.directory,
      accountKey: await acme.crypto.createPrivateRsaKey(2048),
      externalAccountBinding: { kid: credential.kid, hmacKey: credential.hmac_key },
    });
    const [, csr] = await acme.crypto.createCsr({ commonName: "cp.example.com", altNames: ["cp.example.com"] });
    const chain = await client.auto({ csr, termsOfServiceAgreed: true, challengeCreateFn: noChallenge, challengeRemoveFn: noChallenge });

    const blocks = splitPem(chain);
    expect(blocks).toHaveLength(2);
    const caBundle = await (await fetch(`${worker.url}/v1/ca`)).text();
    const result = opensslVerify({ ca: file("ca.crt", caBundle), untrusted: file("untrusted.pem", blocks.slice(1).join("")), cert: file("leaf.pem", blocks[0]!), hostname: "cp.example.com" });
    expect(result.ok, result.stderr + result.stdout).toBe(true);

    const leaf = x509(blocks[0]!);
    const serial = leaf.serialNumber.toLowerCase();
    const record = await fetch(`${worker.url}/v1/certificates/${serial}`, { headers: { Authorization: `Bearer ${worker.authority.tokens.admin}` } });
    expect(record.status).toBe(200);
    const body = (await record.json()) as { token_name: string; hostnames: string[]; key_source: string };
    expect(body).toMatchObject({ token_name: "zone-a-pipeline", hostnames: ["cp.example.com"], key_source: "csr" });
    // The account shows in the operator's list, bound to the token.
    const accounts = await fetch(`${worker.url}/v1/acme/accounts`, { headers: { Authorization: `Bearer ${worker.authority.tokens.admin}` } });
    const list = (await accounts.json()) as { accounts: { url: string; principal: string; eab_kid: string }[] };
    expect(list.accounts.find((a) => a.url === client.getAccountUrl())).toMatchObject({ principal: "zone-a-pipeline", eab_kid: credential.kid });
  });

  it("issues for a wildcard and an IP (RFC 8738) with an ES256 account key, and revokes by the issuing account", async () => {
    const credential = await eab();
    const client = new acme.Client({
      directoryUrl: credential.directory,
      accountKey: await acme.crypto.createPrivateEcdsaKey("P-256"),
      externalAccountBinding: { kid: credential.kid, hmacKey: credential.hmac_key },
    });
    await client.createAccount({ termsOfServiceAgreed: true });
    const order = await client.createOrder({ identifiers: [{ type: "dns", value: "*.zone-a.mesh.example.com" }, { type: "ip", value: "10.1.2.3" }] });
    expect(order.status).toBe("ready");
    const authzs = await client.getAuthorizations(order);
    expect(authzs.map((a) => [a.identifier.value, a.status, a.wildcard ?? false, a.challenges.length])).toEqual([
      ["zone-a.mesh.example.com", "valid", true, 0],
      ["10.1.2.3", "valid", false, 0],
    ]);
    const [, csr] = await acme.crypto.createCsr({ altNames: ["*.zone-a.mesh.example.com", "10.1.2.3"] }, await acme.crypto.createPrivateEcdsaKey("P-256"));
    const finalized = await client.finalizeOrder(order, csr);
    expect(finalized.status).toBe("valid");
    const chain = await client.getCertificate(finalized);
    const leaf = x509(splitPem(chain)[0]!);
    // Node returns the SAN entry that matched: the wildcard.
    expect(leaf.checkHost("cp.zone-a.mesh.example.com")).toBe("*.zone-a.mesh.example.com");
    expect(leaf.checkIP("10.1.2.3")).toBe("10.1.2.3");

    await client.revokeCertificate(chain, { reason: 4 });
    const record = await fetch(`${worker.url}/v1/certificates/${leaf.serialNumber.toLowerCase()}`, { headers: { Authorization: `Bearer ${worker.authority.tokens.admin}` } });
    expect(await record.json()).toMatchObject({ status: "revoked", revocation_reason: "superseded" });
    await expect(client.revokeCertificate(chain)).rejects.toThrow(/already revoked/);
  });

  it("refuses names outside the token's policy with rejectedIdentifier, one subproblem per name", async () => {
    const credential = await eab();
    const client = new acme.Client({
      directoryUrl: credential.directory,
      accountKey: await acme.crypto.createPrivateEcdsaKey("P-256"),
      externalAccountBinding: { kid: credential.kid, hmacKey: credential.hmac_key },
    });
    await client.createAccount({ termsOfServiceAgreed: true });
    const refused = await client.createOrder({ identifiers: [{ type: "dns", value: "cp.example.com" }, { type: "dns", value: "evil.example.org" }] }).then(
      () => null,
      (e: Error) => e,
    );
    expect(refused?.message).toMatch(/may not obtain certificates for: evil\.example\.org/);
  });
});
