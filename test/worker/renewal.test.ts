/**
 * Renewal tracking (issue 14): a certificate recorded with the same normalized
 * name set and usage as older active ones marks them renewed (renewed_by,
 * renewed_at), never revoked; the list filters on it; group commit marks
 * correctly when one batch holds several renewals of the same names.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { d1Ledger } from "../../src/store/d1.ts";
import type { AuditEvent, CertificateRecord } from "../../src/store/types.ts";
import { call, tokens, type IssuedJson } from "./helpers.ts";

const unique = () => `r${crypto.randomUUID().slice(0, 8)}`;

async function issue(body: Record<string, unknown>): Promise<IssuedJson> {
  const res = await call("/v1/certificates", { token: tokens.admin, body });
  expect(res.status).toBe(201);
  return (await res.json()) as IssuedJson;
}

interface RecordJson {
  serial_number: string;
  status: string;
  renewed_by: string | null;
  renewed_at: string | null;
  created_at: string;
}

async function record(serial: string): Promise<RecordJson> {
  const res = await call(`/v1/certificates/${serial}`, { token: tokens.reader });
  expect(res.status).toBe(200);
  return (await res.json()) as RecordJson;
}

async function listed(query: string): Promise<string[]> {
  const res = await call(`/v1/certificates?${query}`, { token: tokens.reader });
  expect(res.status).toBe(200);
  return ((await res.json()) as { certificates: RecordJson[] }).certificates.map((c) => c.serial_number);
}

describe("renewal tracking", () => {
  it("marks the older certificate renewed by the newer one with the same names and usage, in any order and case", async () => {
    const zone = `${unique()}.mesh.example.com`;
    const old = await issue({ hostnames: [`cp.${zone}`, "10.1.2.3", `api.${zone}`] });
    const renewal = await issue({ hostnames: [`API.${zone}.`, `cp.${zone}`, "10.1.2.3"], usage: ["server"] });
    const before = await record(old.serial_number);
    expect(before).toMatchObject({ status: "active", renewed_by: renewal.serial_number });
    expect(before.renewed_at).toBe((await record(renewal.serial_number)).created_at);
    expect(await record(renewal.serial_number)).toMatchObject({ renewed_by: null, renewed_at: null });

    // Renewed is not revoked: the CRL is untouched and the old certificate stays valid.
    const crl = await call("/v1/crl?format=pem");
    expect(crl.status).toBe(200);
    expect(await env.DB!.prepare("SELECT revoked_at FROM certificates WHERE serial = ?").bind(old.serial_number).first()).toEqual({ revoked_at: null });

    expect(await listed(`hostname=.${zone}&renewed=true`)).toEqual([old.serial_number]);
    expect(await listed(`hostname=.${zone}&renewed=false`)).toEqual([renewal.serial_number]);
    // At risk = active, not renewed, expiring within the window.
    expect(await listed(`hostname=.${zone}&renewed=false&expiring_within=365d`)).toEqual([renewal.serial_number]);
  });

  it("does not mark across another usage, another name set, a revoked or an expired certificate", async () => {
    const zone = `${unique()}.mesh.example.com`;
    const server = await issue({ hostnames: [`cp.${zone}`] });
    const client = await issue({ hostnames: [`cp.${zone}`], usage: ["client"] });
    const both = await issue({ hostnames: [`cp.${zone}`], usage: ["client", "server"] });
    const more = await issue({ hostnames: [`cp.${zone}`, `cp2.${zone}`] });
    for (const c of [server, client, both, more]) expect((await record(c.serial_number)).renewed_by).toBeNull();

    const revoked = await issue({ hostnames: [`gone.${zone}`] });
    expect((await call(`/v1/certificates/${revoked.serial_number}/revoke`, { token: tokens.admin, body: { reason: "keyCompromise" } })).status).toBe(200);
    await issue({ hostnames: [`gone.${zone}`] });
    expect((await record(revoked.serial_number)).renewed_by).toBeNull();

    const expired = await issue({ hostnames: [`late.${zone}`] });
    await env.DB!.prepare("UPDATE certificates SET not_after = ? WHERE serial = ?").bind(new Date(Date.now() - 1000).toISOString(), expired.serial_number).run();
    await issue({ hostnames: [`late.${zone}`] });
    expect((await record(expired.serial_number)).renewed_by).toBeNull();
    // A second renewal marks the first renewal; the original keeps its first successor.
    const first = await issue({ hostnames: [`cp.${zone}`] });
    const second = await issue({ hostnames: [`cp.${zone}`] });
    expect((await record(server.serial_number)).renewed_by).toBe(first.serial_number);
    expect((await record(first.serial_number)).renewed_by).toBe(second.serial_number);
  });

  it("a revoked renewal renews nothing: its predecessors fall back to the newest current one, or are at risk again", async () => {
    const zone = `${unique()}.mesh.example.com`;
    const revoke = async (serial: string) => expect((await call(`/v1/certificates/${serial}/revoke`, { token: tokens.admin, body: { reason: "keyCompromise" } })).status).toBe(200);
    const a = await issue({ hostnames: [`cp.${zone}`] });
    const b = await issue({ hostnames: [`cp.${zone}`] });
    const c = await issue({ hostnames: [`cp.${zone}`] });
    expect([(await record(a.serial_number)).renewed_by, (await record(b.serial_number)).renewed_by]).toEqual([b.serial_number, c.serial_number]);
    // b revoked: a falls back to c, the current certificate.
    await revoke(b.serial_number);
    expect(await record(a.serial_number)).toMatchObject({ renewed_by: c.serial_number, renewed_at: (await record(c.serial_number)).created_at });
    // c revoked: nothing current is left, so a is not renewed any more (at risk when it nears expiry).
    await revoke(c.serial_number);
    expect(await record(a.serial_number)).toMatchObject({ renewed_by: null, renewed_at: null });
    expect(await listed(`hostname=.${zone}&renewed=false&status=active`)).toEqual([a.serial_number]);
    // A new certificate renews it again.
    const d = await issue({ hostnames: [`cp.${zone}`] });
    expect((await record(a.serial_number)).renewed_by).toBe(d.serial_number);
  });

  it("rejects renewed values other than true and false", async () => {
    const res = await call("/v1/certificates?renewed=yes", { token: tokens.reader });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { pointer: string }[] }).errors[0]!.pointer).toBe("renewed");
  });
});

function fakeRecord(serial: string, hostnames: string[], createdAt: string): CertificateRecord {
  return {
    serial,
    sha256_fingerprint: `fp-${serial}`,
    pem: "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
    hostnames,
    usage: ["server"],
    key_algorithm: "ecdsa-p256",
    key_source: "csr",
    not_before: createdAt,
    not_after: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    issuer_fingerprint: "renewal-test-issuer",
    token_name: "renewal-test",
    principal_subject: null,
    request_id: `req-${serial}`,
    created_at: createdAt,
    revoked_at: null,
    revocation_reason: null,
    renewed_by: null,
    renewed_at: null,
  };
}

const audit = (serial: string): AuditEvent => ({
  at: new Date().toISOString(),
  event: "sign",
  outcome: "success",
  status: 201,
  code: null,
  principal_subject: null,
  token_name: "renewal-test",
  client_address: null,
  method: "POST",
  path: "/v1/certificates/sign",
  serial,
  request_id: `req-${serial}`,
});

describe("renewal marking under group commit", () => {
  it("marks within one batch: the newest of the batch renews the older ones, in the batch and before it", async () => {
    // A D1 that counts its batches, so the test knows the three writes shared one.
    let batches = 0;
    const db = env.DB!;
    const counting = { prepare: (sql: string) => db.prepare(sql), batch: (s: D1PreparedStatement[]) => (batches++, db.batch(s)) } as unknown as D1Database;
    const ledger = d1Ledger(counting, { groupCommit: true });
    const name = `${unique()}.batch.example.com`;
    const hex = () => crypto.randomUUID().replace(/-/g, "");
    const [s0, s1, s2, s3, other] = [hex(), hex(), hex(), hex(), hex()];
    const t = Date.now();
    await ledger.record(fakeRecord(s0, [name], new Date(t - 60_000).toISOString()), audit(s0));
    expect(batches).toBe(1);
    // Created in the reverse of recording order: recording order decides, not the clock.
    await Promise.all([
      ledger.record(fakeRecord(s1, [name], new Date(t + 2).toISOString()), audit(s1)),
      ledger.record(fakeRecord(other, [`x.${name}`], new Date(t).toISOString()), audit(other)),
      ledger.record(fakeRecord(s2, [name], new Date(t + 1).toISOString()), audit(s2)),
      ledger.record(fakeRecord(s3, [name], new Date(t).toISOString()), audit(s3)),
    ]);
    expect(batches).toBe(2);
    const rows = await db
      .prepare("SELECT serial, renewed_by, renewed_at FROM certificates WHERE serial IN (?, ?, ?, ?, ?)")
      .bind(s0, s1, s2, s3, other)
      .all<{ serial: string; renewed_by: string | null; renewed_at: string | null }>();
    const by = Object.fromEntries(rows.results.map((r) => [r.serial, r]));
    for (const s of [s0, s1, s2]) expect(by[s]).toMatchObject({ renewed_by: s3, renewed_at: new Date(t).toISOString() });
    expect(by[s3]!.renewed_by).toBeNull();
    expect(by[other]!.renewed_by).toBeNull();
  });

});
