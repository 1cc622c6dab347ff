/**
 * ACME refusals are in the audit trail like /v1's (issue 19 "audited", issue 21 #7): a refused
 * request of a known account is one row naming its principal and the RFC 8555 problem type; a
 * refusal with no principal (unknown account, bad nonce) is counted per client address, code and
 * minute. Rate-limited requests are not recorded (the limiter is the record).
 */
import { describe, expect, it } from "vitest";
import { acmePost, csrFor, dns, env, expectAcmeProblem, JOSE, newOrder, pathOf, register, signJws, type Account } from "./acme-helpers.ts";
import { call, tokens } from "./helpers.ts";

interface Row {
  event: string;
  outcome: string;
  status: number;
  code: string | null;
  token_name: string | null;
  path: string;
  count: number;
  request_id: string;
}

interface Detailed {
  event: string;
  status: number;
  token_name: string | null;
  serial: string | null;
  detail: string | null;
}

const detailed = async (requestId: string | null) =>
  (await env.DB!.prepare("SELECT event, status, token_name, serial, detail FROM audit_events WHERE request_id = ? ORDER BY id").bind(requestId).all<Detailed>()).results;

/** An issued certificate (its base64url DER, serial), with the certificate's key for revocation by key. */
async function issued(account: Account): Promise<{ certificate: string; serial: string; keys: CryptoKeyPair }> {
  const { url } = await newOrder(account, dns("cp.example.com"));
  const { csr, keys } = await csrFor(["cp.example.com"]);
  const fin = (await (await acmePost(account.key, `${pathOf(url)}/finalize`, { csr }, { kid: account.url })).json()) as { certificate: string };
  const pem = await (await acmePost(account.key, pathOf(fin.certificate), "", { kid: account.url })).text();
  const certificate = pem.split("-----")[2]!.replace(/\s+/g, "").replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return { certificate, serial: fin.certificate.split("/").pop()!, keys };
}

const rows = async (where: string, ...args: unknown[]) =>
  (await env.DB!.prepare(`SELECT event, outcome, status, code, token_name, path, count, request_id FROM audit_events WHERE ${where} ORDER BY id`).bind(...args).all<Row>()).results;

describe("ACME refusals in the audit trail", () => {
  it("records a known account's refusal with its principal and the ACME problem type", async () => {
    const account = await register();
    const { res } = await newOrder(account, dns("outside.example.org"));
    await expectAcmeProblem(res, 403, "rejectedIdentifier");
    expect(await rows("request_id = ?", res.headers.get("X-Request-Id"))).toEqual([
      { event: "refused", outcome: "failure", status: 403, code: "acme:rejectedIdentifier", token_name: "zone-a-pipeline", path: "/acme/new-order", count: 1, request_id: res.headers.get("X-Request-Id") },
    ]);
  });

  it("counts refusals without a principal: one row per client address, code and minute", async () => {
    const account = await register();
    const address = `198.51.100.${Math.floor(Math.random() * 250) + 1}`;
    const unknown = account.url.replace(/[^/]+$/, "nosuchaccount");
    const headers = { "Content-Type": JOSE, "CF-Connecting-IP": address };
    for (let i = 0; i < 5; i++) {
      const body = await signJws(account.key, "/acme/new-order", { identifiers: dns("cp.example.com") }, { kid: unknown });
      await expectAcmeProblem(await call("/acme/new-order", { method: "POST", rawBody: body, headers }), 400, "accountDoesNotExist");
    }
    const counted = await rows("client_address = ?", address);
    expect(counted.length).toBeGreaterThanOrEqual(1);
    expect(counted.length).toBeLessThanOrEqual(2);
    expect(counted.every((r) => r.code === "acme:accountDoesNotExist" && r.token_name === null && r.status === 400)).toBe(true);
    expect(counted.reduce((n, r) => n + r.count, 0)).toBe(5);
  });
});

describe("ACME actions in the audit trail", () => {
  it("records which account revoked a certificate, and names the issuing account on the issuance", async () => {
    const owner = await register();
    const admin = await register(tokens.admin);
    const { certificate, serial } = await issued(owner);
    const issuance = await env.DB!.prepare("SELECT detail FROM audit_events WHERE event = 'sign' AND serial = ?").bind(serial).first<{ detail: string }>();
    expect(issuance!.detail).toBe(`acme_account=${owner.url.split("/").pop()}`);
    const res = await acmePost(admin.key, "/acme/revoke-cert", { certificate }, { kid: admin.url });
    expect(res.status).toBe(200);
    const [row] = await detailed(res.headers.get("X-Request-Id"));
    expect(row).toMatchObject({ event: "revoke", status: 200, serial, detail: `acme_account=${admin.url.split("/").pop()}` });
    expect(row!.token_name).not.toBe("zone-a-pipeline");
  });

  it("records a revocation by the certificate's own key under the certificate's principal, by=certificate_key", async () => {
    const owner = await register();
    const { certificate, serial, keys } = await issued(owner);
    const full = (await crypto.subtle.exportKey("jwk", keys.publicKey)) as JsonWebKey;
    const certKey = { alg: "ES256" as const, privateKey: keys.privateKey, publicKey: keys.publicKey, jwk: { kty: "EC", crv: "P-256", x: full.x!, y: full.y! } };
    const res = await acmePost(certKey, "/acme/revoke-cert", { certificate });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await detailed(res.headers.get("X-Request-Id"))).toEqual([{ event: "revoke", status: 200, token_name: "zone-a-pipeline", serial, detail: "by=certificate_key" }]);
  });

  it("records EAB credentials (caller and kid, never the HMAC key) and operator deactivations", async () => {
    const res = await call("/v1/acme/eab", { method: "POST", token: tokens.zoneA });
    expect(res.status).toBe(201);
    const eab = (await res.json()) as { kid: string; hmac_key: string };
    const [row] = await detailed(res.headers.get("X-Request-Id"));
    expect(row).toEqual({ event: "acme_eab", status: 201, token_name: "zone-a-pipeline", serial: null, detail: `kid=${eab.kid}` });
    const all = JSON.stringify((await env.DB!.prepare("SELECT * FROM audit_events").all()).results);
    expect(all).not.toContain(eab.hmac_key);

    const account = await register();
    const id = account.url.split("/").pop()!;
    const cut = await call(`/v1/acme/accounts/${id}/deactivate`, { method: "POST", token: tokens.admin });
    expect(cut.status).toBe(200);
    const [deactivation] = await detailed(cut.headers.get("X-Request-Id"));
    expect(deactivation).toMatchObject({ event: "acme_deactivate", status: 200, serial: null, detail: `acme_account=${id}` });
    expect(deactivation!.token_name).not.toBeNull();
    // Again: nothing changed, nothing recorded.
    const again = await call(`/v1/acme/accounts/${id}/deactivate`, { method: "POST", token: tokens.admin });
    expect(await detailed(again.headers.get("X-Request-Id"))).toEqual([]);
  });
});
