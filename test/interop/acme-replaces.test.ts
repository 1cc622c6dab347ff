/**
 * RFC 9773 with a real ACME client (acme-client from the npm registry) against the real worker: the
 * directory's renewalInfo answers for the client's certificate, newOrder accepts `replaces` naming a
 * certificate of the same account that shares an identifier (the order echoes it, and finalize makes
 * the ledger link exactly that predecessor), and refuses another account's certificate
 * (unauthorized), one already replaced by a certificate or by a pending order (409 alreadyReplaced),
 * one sharing no identifier and an unparseable certID (malformed).
 */
import * as acme from "acme-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatCertId } from "../../src/pki/ari.ts";
import { fromHex } from "../../src/pki/bytes.ts";
import { x509 as peculiar } from "../../src/pki/x509.ts";
import { post, splitPem } from "../helpers/interop.ts";
import { type RunningWorker, startRunningWorker } from "../helpers/running-worker.ts";

let worker: RunningWorker;

beforeAll(async () => {
  worker = await startRunningWorker();
});

afterAll(async () => {
  await worker?.stop();
});

async function account(): Promise<acme.Client> {
  const res = await post(worker, "/v1/acme/eab", {}, worker.authority.tokens.zoneA);
  if (res.status !== 201) throw new Error(`eab → ${res.status}: ${res.body.toString("utf8")}`);
  const eab = res.json<{ kid: string; hmac_key: string; directory: string }>();
  const client = new acme.Client({
    directoryUrl: eab.directory,
    accountKey: await acme.crypto.createPrivateEcdsaKey("P-256"),
    externalAccountBinding: { kid: eab.kid, hmacKey: eab.hmac_key },
  });
  await client.createAccount({ termsOfServiceAgreed: true });
  return client;
}

/** A newOrder as the client signs it, with the raw answer: status, problem type, order. */
async function newOrder(client: acme.Client, payload: Record<string, unknown>): Promise<{ status: number; data: Record<string, unknown> }> {
  const api = (client as unknown as { api: { http: { getResourceUrl(r: string): Promise<string>; signedRequest(url: string, payload: unknown, o: { kid: string }): Promise<{ status: number; data: Record<string, unknown> }> } } }).api;
  const url = await api.http.getResourceUrl("newOrder");
  const res = await api.http.signedRequest(url, payload, { kid: client.getAccountUrl() });
  return { status: res.status, data: res.data };
}

async function obtain(client: acme.Client, names: string[], replaces?: string): Promise<{ pem: string; serial: string; order: Record<string, unknown> }> {
  const order = await client.createOrder({ identifiers: names.map((value) => ({ type: "dns", value })), ...(replaces ? { replaces } : {}) } as never);
  const [, csr] = await acme.crypto.createCsr({ altNames: names }, await acme.crypto.createPrivateEcdsaKey("P-256"));
  const finalized = await client.finalizeOrder(order, csr);
  const pem = splitPem(await client.getCertificate(finalized))[0]!;
  return { pem, serial: new peculiar.X509Certificate(pem).serialNumber.toLowerCase(), order: order as unknown as Record<string, unknown> };
}

function certIdOf(pem: string): string {
  const cert = new peculiar.X509Certificate(pem);
  return formatCertId(fromHex(cert.getExtension(peculiar.AuthorityKeyIdentifierExtension)!.keyId!), cert.serialNumber);
}

async function ledger(serial: string): Promise<{ renewed_by: string | null; replaces: string | null }> {
  const res = await fetch(`${worker.url}/v1/certificates/${serial}`, { headers: { Authorization: `Bearer ${worker.authority.tokens.admin}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as never;
}

describe("ARI with acme-client (RFC 9773)", () => {
  it("renewalInfo from the directory answers for the client's certificate; replaces links exactly that predecessor", async () => {
    const client = await account();
    const names = ["ari1.zone-a.mesh.example.com"];
    const first = await obtain(client, names);
    const directory = (await (await fetch(`${worker.url}/acme/directory`)).json()) as { renewalInfo: string };
    expect(directory.renewalInfo).toBe(`${worker.url}/acme/renewal-info`);
    const info = await fetch(`${directory.renewalInfo}/${certIdOf(first.pem)}`);
    expect(info.status).toBe(200);
    expect(info.headers.get("retry-after")).toBe("21600");
    const { suggestedWindow } = (await info.json()) as { suggestedWindow: { start: string; end: string } };
    expect(Date.parse(suggestedWindow.end)).toBe(new peculiar.X509Certificate(first.pem).notAfter.getTime());

    const second = await obtain(client, [...names, "ari1b.zone-a.mesh.example.com"], certIdOf(first.pem));
    expect(second.order.replaces).toBe(certIdOf(first.pem));
    expect(await ledger(first.serial)).toMatchObject({ renewed_by: second.serial });
    expect(await ledger(second.serial)).toMatchObject({ replaces: first.serial, renewed_by: null });

    // Replaced already: 409 alreadyReplaced (RFC 9773 §5).
    const again = await newOrder(client, { identifiers: [{ type: "dns", value: names[0] }], replaces: certIdOf(first.pem) });
    expect(again.status).toBe(409);
    expect(again.data.type).toBe("urn:ietf:params:acme:error:alreadyReplaced");
  });

  it("refuses a pending second replacement (alreadyReplaced), another account's certificate (unauthorized), no shared identifier and a bad certID (malformed)", async () => {
    const client = await account();
    const other = await account();
    const names = ["ari2.zone-a.mesh.example.com"];
    const cert = await obtain(client, names);
    const certId = certIdOf(cert.pem);

    const theirs = await newOrder(other, { identifiers: [{ type: "dns", value: names[0] }], replaces: certId });
    expect([theirs.status, theirs.data.type]).toEqual([403, "urn:ietf:params:acme:error:unauthorized"]);
    const unrelated = await newOrder(client, { identifiers: [{ type: "dns", value: "elsewhere.zone-a.mesh.example.com" }], replaces: certId });
    expect([unrelated.status, unrelated.data.type]).toEqual([400, "urn:ietf:params:acme:error:malformed"]);
    const junk = await newOrder(client, { identifiers: [{ type: "dns", value: names[0] }], replaces: "not-a-cert-id" });
    expect([junk.status, junk.data.type]).toEqual([400, "urn:ietf:params:acme:error:malformed"]);

    const pending = await newOrder(client, { identifiers: [{ type: "dns", value: names[0] }], replaces: certId });
    expect(pending.status).toBe(201);
    expect(pending.data).toMatchObject({ status: "ready", replaces: certId });
    const second = await newOrder(client, { identifiers: [{ type: "dns", value: names[0] }], replaces: certId });
    expect([second.status, second.data.type]).toEqual([409, "urn:ietf:params:acme:error:alreadyReplaced"]);
    expect((await ledger(cert.serial)).renewed_by).toBeNull();
  });
});
