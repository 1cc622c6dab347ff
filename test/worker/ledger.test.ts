/**
 * The issuance ledger in D1 (real SQLite under workerd): every certificate
 * recorded before it is handed out, listing and filters, revocation, the
 * CRL, the audit trail, idempotent retries and the failure-to-record case.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { x509 } from "../../src/pki/x509.ts";
import { createToken } from "../../src/store/secret-tokens.ts";
import { call, callWithEnv, expectProblem, tokens, type IssuedJson } from "./helpers.ts";

const unique = () => `t${crypto.randomUUID().slice(0, 8)}`;

async function issue(hostnames: string[], opts: { ttl?: string; token?: string; headers?: Record<string, string>; body?: Record<string, unknown> } = {}): Promise<IssuedJson> {
  const res = await call("/v1/certificates", { token: opts.token ?? tokens.admin, body: { hostnames, ...(opts.ttl ? { ttl: opts.ttl } : {}), ...opts.body }, headers: opts.headers });
  expect(res.status).toBe(201);
  return (await res.json()) as IssuedJson;
}

interface Listed {
  certificates: { serial_number: string; status: string; hostnames: string[]; token_name: string; key_source: string; not_after: string }[];
  next_cursor: string | null;
}

async function list(query: string, token = tokens.admin): Promise<Listed> {
  const res = await call(`/v1/certificates?${query}`, { token });
  expect(res.status).toBe(200);
  return (await res.json()) as Listed;
}

describe("the ledger records every certificate", () => {
  it("records an issued certificate with who asked for it, and GET returns it with its PEM", async () => {
    const name = `${unique()}.example.com`;
    const issued = await issue([name]);
    const res = await call(`/v1/certificates/${issued.serial_number}`, { token: tokens.reader });
    expect(res.status).toBe(200);
    const rec = (await res.json()) as Record<string, unknown>;
    expect(rec).toMatchObject({
      serial_number: issued.serial_number,
      status: "active",
      hostnames: [name],
      usage: ["server"],
      key_algorithm: "ecdsa-p256",
      key_source: "generated",
      sha256_fingerprint: issued.sha256_fingerprint,
      token_name: "test-admin",
      certificate: issued.certificate,
      not_after: issued.not_after,
    });
    expect(JSON.stringify(rec)).not.toContain("PRIVATE KEY");
    // Serial numbers as OpenSSL prints them (colons, upper case) find the same record.
    const colons = issued.serial_number.toUpperCase().match(/../g)!.join(":");
    expect((await call(`/v1/certificates/${colons}`, { token: tokens.reader })).status).toBe(200);
  });

  it("answers 404 problem+json for an unknown serial", async () => {
    await expectProblem(await call("/v1/certificates/0123456789abcdef", { token: tokens.reader }), 404, "certificate_not_found");
    await expectProblem(await call("/v1/certificates/not-hex", { token: tokens.reader }), 404, "certificate_not_found");
  });

  it("gives 200 concurrent issuances 200 rows with 200 distinct serials", async () => {
    const name = `${unique()}.example.com`;
    const results = await Promise.all(Array.from({ length: 200 }, () => call("/v1/certificates", { token: tokens.admin, body: { hostnames: [name] } })));
    expect(results.map((r) => r.status).every((s) => s === 201)).toBe(true);
    const serials = new Set(await Promise.all(results.map(async (r) => ((await r.json()) as IssuedJson).serial_number)));
    expect(serials.size).toBe(200);
    const rows = await env.DB!.prepare("SELECT COUNT(*) AS n, COUNT(DISTINCT serial) AS d FROM certificates WHERE serial IN (SELECT serial FROM certificate_names WHERE name = ?)").bind(name).first<{ n: number; d: number }>();
    expect(rows).toEqual({ n: 200, d: 200 });
  });

  it("refuses a duplicate serial at the database (a constraint, not a hope)", async () => {
    const issued = await issue([`${unique()}.example.com`]);
    await expect(
      env.DB!.prepare("INSERT INTO certificates (serial, sha256_fingerprint, pem, hostnames, usage, key_algorithm, key_source, not_before, not_after, issuer_fingerprint, token_name, request_id, created_at) VALUES (?, 'x', 'x', '[]', '[]', 'x', 'csr', 'x', 'x', 'x', 'x', 'x', 'x')")
        .bind(issued.serial_number)
        .run(),
    ).rejects.toThrow(/UNIQUE/);
  });

  it("hands out nothing and answers 503 when the record cannot be written", async () => {
    const broken = {
      prepare: () => {
        throw new Error("D1_ERROR: database unavailable");
      },
      batch: () => Promise.reject(new Error("D1_ERROR: database unavailable")),
    } as unknown as D1Database;
    const res = await callWithEnv({ DB: broken } as never, "/v1/certificates", { token: tokens.admin, body: { hostnames: ["cp.example.com"] } });
    const p = await expectProblem(res, 503, "ledger_unavailable");
    const text = JSON.stringify(p);
    expect(text).not.toContain("BEGIN CERTIFICATE");
    expect(text).not.toContain("PRIVATE KEY");
    expect(res.headers.get("Retry-After")).toBe("5");
  });

  it("checks format parameters before minting: a bad Secret name records nothing", async () => {
    const count = async () => (await env.DB!.prepare("SELECT COUNT(*) AS n FROM certificates").first<{ n: number }>())!.n;
    const before = await count();
    await expectProblem(await call("/v1/certificates?format=kubernetes-secret&name=Bad_Name", { token: tokens.admin, body: { hostnames: ["cp.example.com"] } }), 400, "validation_failed");
    await expectProblem(await call("/v1/certificates/sign?format=helm-values&name=x%0A%20%20envVars", { token: tokens.admin, body: { csr: "x", hostnames: ["cp.example.com"] } }), 400, "validation_failed");
    expect(await count()).toBe(before);
  });

  it("answers 503 ledger_unavailable when the DB binding is missing", async () => {
    await expectProblem(await callWithEnv({ DB: undefined } as never, "/v1/certificates", { token: tokens.admin, body: { hostnames: ["cp.example.com"] } }), 503, "ledger_unavailable");
  });
});

describe("GET /v1/certificates", () => {
  it("filters by exact hostname and by .suffix, newest first", async () => {
    const zone = `${unique()}.mesh.example.com`;
    const a = await issue([`a.${zone}`]);
    const b = await issue([`b.${zone}`, "10.9.9.9"]);
    const exact = await list(`hostname=a.${zone}`);
    expect(exact.certificates.map((c) => c.serial_number)).toEqual([a.serial_number]);
    const suffix = await list(`hostname=.${zone}`);
    expect(suffix.certificates.map((c) => c.serial_number)).toEqual([b.serial_number, a.serial_number]);
    // LIKE wildcards in the filter match literally.
    expect((await list(`hostname=.${zone.replace(/\./g, "_")}`)).certificates).toEqual([]);
  });

  it("filters by expiring_within, status and token", async () => {
    const zone = `${unique()}.example.com`;
    const soon = await issue([`soon.${zone}`], { ttl: "10d" });
    const later = await issue([`later.${zone}`], { ttl: "60d" });
    const byToken = await issue([`mine.${zone}`], { token: tokens.shortTtl });
    const expiring = await list(`hostname=.${zone}&expiring_within=30d`);
    expect(expiring.certificates.map((c) => c.serial_number).sort()).toEqual([soon.serial_number, byToken.serial_number].sort());
    expect((await list(`hostname=.${zone}&token=short-ttl`)).certificates.map((c) => c.serial_number)).toEqual([byToken.serial_number]);
    await call(`/v1/certificates/${later.serial_number}/revoke`, { token: tokens.admin, body: { reason: "superseded" } });
    expect((await list(`hostname=.${zone}&status=revoked`)).certificates.map((c) => c.serial_number)).toEqual([later.serial_number]);
    expect((await list(`hostname=.${zone}&status=active`)).certificates).toHaveLength(2);
    expect((await list(`hostname=.${zone}&status=expired`)).certificates).toHaveLength(0);
  });

  it("paginates with a stable cursor and caps limit at 500", async () => {
    const zone = `${unique()}.example.com`;
    const serials: string[] = [];
    for (let i = 0; i < 5; i++) serials.unshift((await issue([`h${i}.${zone}`])).serial_number);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Listed = await list(`hostname=.${zone}&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(page.certificates.length).toBeLessThanOrEqual(2);
      seen.push(...page.certificates.map((c) => c.serial_number));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(serials);
    expect((await call("/v1/certificates?limit=100000", { token: tokens.admin })).status).toBe(200);
  });

  it.each([
    ["status=valid", "status"],
    ["expiring_within=soon", "expiring_within"],
    ["limit=0", "limit"],
    ["cursor=garbage", "cursor"],
  ])("rejects %s naming the parameter", async (query, pointer) => {
    const p = await expectProblem(await call(`/v1/certificates?${query}`, { token: tokens.admin }), 400, "validation_failed");
    expect(p.errors?.[0]?.pointer).toBe(pointer);
  });

  it("requires the read scope", async () => {
    await expectProblem(await call("/v1/certificates", { token: tokens.zoneA }), 403, "insufficient_scope");
  });

  it("bounds the read scope by the caller's allow (issue 21 #4): list and get see only certificates whose names all fall inside it", async () => {
    const zone = `${unique()}.example.com`;
    const narrow = await createToken("narrow-reader", ["read"], [`*.${zone}`]);
    const apiTokens = JSON.stringify([...(JSON.parse(env.API_TOKENS!) as unknown[]), narrow.entry]);
    const asNarrow = (path: string) => callWithEnv({ API_TOKENS: apiTokens }, path, { token: narrow.token });
    const inside = [await issue([`a.${zone}`]), await issue([`b.${zone}`])];
    const partly = await issue([`c.${zone}`, `${unique()}.example.net`]);
    const outside = await issue([`${unique()}.example.net`]);
    // Interleave: newest first, the invisible ones sit between and after the visible ones.
    inside.push(await issue([`d.${zone}`]));
    const later = await issue([`${unique()}.example.net`]);
    const hidden = [partly, outside, later].map((c) => c.serial_number);

    const all = (await (await asNarrow("/v1/certificates?limit=500")).json()) as Listed;
    expect(all.certificates.map((c) => c.serial_number).sort()).toEqual(inside.map((c) => c.serial_number).sort());
    // Paging one at a time reaches exactly the visible records, cursor after cursor.
    const paged: string[] = [];
    for (let cursor: string | null = "", n = 0; cursor !== null && n < 10; n++) {
      const page: Listed = await (await asNarrow(`/v1/certificates?limit=1${cursor ? `&cursor=${cursor}` : ""}`)).json();
      paged.push(...page.certificates.map((c) => c.serial_number));
      cursor = page.next_cursor;
    }
    expect(paged).toEqual(inside.map((c) => c.serial_number).reverse());

    const got = await asNarrow(`/v1/certificates/${inside[0]!.serial_number}`);
    expect(got.status).toBe(200);
    expect(((await got.json()) as { certificate: string }).certificate).toContain("BEGIN CERTIFICATE");
    for (const serial of hidden) {
      const refused = await expectProblem(await asNarrow(`/v1/certificates/${serial}`), 404, "certificate_not_found");
      expect(JSON.stringify(refused)).not.toContain("BEGIN CERTIFICATE");
    }
    // A "*" reader (an operator's read-only token) sees them all.
    const everyone = (await list("limit=500", tokens.reader)).certificates.map((c) => c.serial_number);
    for (const serial of [...hidden, ...inside.map((c) => c.serial_number)]) expect(everyone).toContain(serial);
    expect((await call(`/v1/certificates/${outside.serial_number}`, { token: tokens.reader })).status).toBe(200);
  });
});

describe("revocation and the CRL", () => {
  it("revokes idempotently, conflicts on another reason, and the CRL lists the serial with its reason (RFC 5280 §5.3.1)", async () => {
    const issued = await issue([`${unique()}.example.com`]);
    const first = await call(`/v1/certificates/${issued.serial_number}/revoke`, { token: tokens.admin, body: { reason: "keyCompromise" } });
    expect(first.status).toBe(200);
    const rec = (await first.json()) as { status: string; revocation_reason: string; revoked_at: string };
    expect(rec.status).toBe("revoked");
    expect(rec.revocation_reason).toBe("keyCompromise");
    const again = await call(`/v1/certificates/${issued.serial_number}/revoke`, { token: tokens.admin, body: { reason: "keyCompromise" } });
    expect(again.status).toBe(200);
    expect(((await again.json()) as { revoked_at: string }).revoked_at).toBe(rec.revoked_at);
    const other = await expectProblem(await call(`/v1/certificates/${issued.serial_number}/revoke`, { token: tokens.admin, body: { reason: "superseded" } }), 409, "already_revoked");
    expect(other["revocation_reason"]).toBe("keyCompromise");

    const crlRes = await call("/v1/crl");
    expect(crlRes.status).toBe(200);
    expect(crlRes.headers.get("Content-Type")).toBe("application/pkix-crl");
    const crl = new x509.X509Crl(new Uint8Array(await crlRes.arrayBuffer()));
    const entry = crl.findRevoked(issued.serial_number);
    expect(entry?.reason).toBe(x509.X509CrlReason.keyCompromise);
    const intermediate = new x509.X509Certificate(env.TEST_INTERMEDIATE_PEM);
    expect(crl.issuer).toBe(intermediate.subject);
    expect(await crl.verify({ publicKey: intermediate.publicKey })).toBe(true);
    expect(crl.nextUpdate!.getTime() - crl.thisUpdate.getTime()).toBe(24 * 3600_000);
  });

  it("increases the CRL number when a revocation happens, and serves the cached CRL otherwise (RFC 5280 §5.2.3)", async () => {
    const number = async () => {
      const crl = new x509.X509Crl(new Uint8Array(await (await call("/v1/crl")).arrayBuffer()));
      const ext = crl.extensions.find((e) => e.type === "2.5.29.20")!;
      return { n: parseInt(Array.from(new Uint8Array(ext.value).slice(2), (b) => b.toString(16).padStart(2, "0")).join(""), 16), der: crl.rawData };
    };
    const before = await number();
    const cached = await number();
    expect(cached.n).toBe(before.n);
    const issued = await issue([`${unique()}.example.com`]);
    await call(`/v1/certificates/${issued.serial_number}/revoke`, { token: tokens.admin, body: {} });
    const after = await number();
    expect(after.n).toBe(before.n + 1);
  });

  it("serves the CRL as PEM with ?format=pem", async () => {
    const text = await (await call("/v1/crl?format=pem")).text();
    expect(text).toMatch(/^-----BEGIN X509 CRL-----\n/);
  });

  it.each([
    [{ reason: "removeFromCRL" }, 400, "validation_failed"],
    [{ reason: "keyCompromise", extra: 1 }, 400, "validation_failed"],
  ])("rejects the revocation body %j", async (body, status, code) => {
    const issued = await issue([`${unique()}.example.com`]);
    await expectProblem(await call(`/v1/certificates/${issued.serial_number}/revoke`, { token: tokens.admin, body }), status, code);
  });

  it("answers 404 for revoking an unknown serial and 403 without the revoke scope", async () => {
    await expectProblem(await call("/v1/certificates/00ff/revoke", { token: tokens.admin, body: {} }), 404, "certificate_not_found");
    const issued = await issue([`${unique()}.example.com`]);
    await expectProblem(await call(`/v1/certificates/${issued.serial_number}/revoke`, { token: tokens.reader, body: {} }), 403, "insufficient_scope");
  });
});

describe("Idempotency-Key", () => {
  it("returns the same certificate and private key for the same key and body", async () => {
    const key = crypto.randomUUID();
    const body = { hostnames: [`${unique()}.example.com`] };
    const first = await call("/v1/certificates", { token: tokens.admin, body, headers: { "Idempotency-Key": key } });
    const second = await call("/v1/certificates", { token: tokens.admin, body, headers: { "Idempotency-Key": key } });
    expect(second.status).toBe(201);
    expect(second.headers.get("Idempotent-Replayed")).toBe("true");
    const a = (await first.json()) as IssuedJson;
    const b = (await second.json()) as IssuedJson;
    expect(b.serial_number).toBe(a.serial_number);
    expect(b.private_key).toBe(a.private_key);
    expect(b.chain).toBe(a.chain);
    // The stored copy of the key is sealed, not plaintext.
    const row = await env.DB!.prepare("SELECT sealed_key FROM idempotency_keys WHERE key = ?").bind(key).first<{ sealed_key: string }>();
    expect(row!.sealed_key).not.toContain("PRIVATE KEY");
    expect(row!.sealed_key.length).toBeGreaterThan(100);
  });

  it("audits every replay (issue 21 #3): event replay with the serial, the caller and the replaying request's id", async () => {
    const key = crypto.randomUUID();
    const body = { hostnames: [`${unique()}.example.com`] };
    const first = await call("/v1/certificates", { token: tokens.admin, body, headers: { "Idempotency-Key": key } });
    const { serial_number } = (await first.json()) as IssuedJson;
    const second = await call("/v1/certificates", { token: tokens.admin, body, headers: { "Idempotency-Key": key } });
    expect(((await second.json()) as IssuedJson).private_key).toContain("PRIVATE KEY");
    const third = await call("/v1/certificates", { token: tokens.admin, body, headers: { "Idempotency-Key": key } });
    expect(third.status).toBe(201);
    const { results } = await env.DB!.prepare("SELECT event, outcome, status, token_name, serial, request_id, method, path FROM audit_events WHERE serial = ? ORDER BY id").bind(serial_number).all();
    expect(results).toEqual([
      { event: "issue", outcome: "success", status: 201, token_name: "test-admin", serial: serial_number, request_id: first.headers.get("X-Request-Id"), method: "POST", path: "/v1/certificates" },
      { event: "replay", outcome: "success", status: 201, token_name: "test-admin", serial: serial_number, request_id: second.headers.get("X-Request-Id"), method: "POST", path: "/v1/certificates" },
      { event: "replay", outcome: "success", status: 201, token_name: "test-admin", serial: serial_number, request_id: third.headers.get("X-Request-Id"), method: "POST", path: "/v1/certificates" },
    ]);
    // Listed by GET /v1/audit like every other event.
    const audit = (await (await call(`/v1/audit?token=test-admin&limit=500`, { token: tokens.admin })).json()) as { events: { event: string; serial: string | null }[] };
    expect(audit.events.filter((e) => e.serial === serial_number).map((e) => e.event)).toEqual(["replay", "replay", "issue"]);
  });

  it("answers 422 idempotency_key_reused for the same key with another body", async () => {
    const key = crypto.randomUUID();
    await call("/v1/certificates", { token: tokens.admin, body: { hostnames: ["a.example.com"] }, headers: { "Idempotency-Key": key } });
    await expectProblem(await call("/v1/certificates", { token: tokens.admin, body: { hostnames: ["b.example.com"] }, headers: { "Idempotency-Key": key } }), 422, "idempotency_key_reused");
  });

  it("mints one certificate for concurrent requests with one key", async () => {
    const key = crypto.randomUUID();
    const name = `${unique()}.example.com`;
    const responses = await Promise.all(Array.from({ length: 8 }, () => call("/v1/certificates", { token: tokens.admin, body: { hostnames: [name] }, headers: { "Idempotency-Key": key } })));
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as IssuedJson[];
    expect(responses.every((r) => r.status === 201)).toBe(true);
    expect(new Set(bodies.map((b) => b.serial_number)).size).toBe(1);
    expect((await list(`hostname=${name}`)).certificates).toHaveLength(1);
  });

  it("does not consume the key when the request is refused", async () => {
    const key = crypto.randomUUID();
    await expectProblem(await call("/v1/certificates", { token: tokens.zoneA, body: { hostnames: ["evil.example.com"] }, headers: { "Idempotency-Key": key } }), 403, "name_not_allowed");
    const ok = await call("/v1/certificates", { token: tokens.zoneA, body: { hostnames: ["cp.example.com"] }, headers: { "Idempotency-Key": key } });
    expect(ok.status).toBe(201);
  });

  it("keys are per token: another token's key does not replay", async () => {
    const key = crypto.randomUUID();
    const body = { hostnames: ["cp.example.com"] };
    const a = (await (await call("/v1/certificates", { token: tokens.admin, body, headers: { "Idempotency-Key": key } })).json()) as IssuedJson;
    const b = (await (await call("/v1/certificates", { token: tokens.zoneA, body, headers: { "Idempotency-Key": key } })).json()) as IssuedJson;
    expect(b.serial_number).not.toBe(a.serial_number);
  });

  it("works for CSR signing too", async () => {
    const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: "CN=x", keys, signingAlgorithm: { name: "ECDSA", hash: "SHA-256" } });
    const key = crypto.randomUUID();
    const body = { csr: csr.toString("pem"), hostnames: ["cp.example.com"] };
    const a = (await (await call("/v1/certificates/sign", { token: tokens.admin, body, headers: { "Idempotency-Key": key } })).json()) as IssuedJson;
    const b = (await (await call("/v1/certificates/sign", { token: tokens.admin, body, headers: { "Idempotency-Key": key } })).json()) as IssuedJson;
    expect(b.serial_number).toBe(a.serial_number);
    expect(b.private_key).toBeUndefined();
    const replays = await env.DB!.prepare("SELECT count(*) AS n FROM audit_events WHERE event = 'replay' AND serial = ?").bind(a.serial_number).first<{ n: number }>();
    expect(replays!.n).toBe(1);
  });

  it("refuses to replay a certificate that was revoked since", async () => {
    const key = crypto.randomUUID();
    const body = { hostnames: [`${unique()}.example.com`] };
    const a = (await (await call("/v1/certificates", { token: tokens.admin, body, headers: { "Idempotency-Key": key } })).json()) as IssuedJson;
    await call(`/v1/certificates/${a.serial_number}/revoke`, { token: tokens.admin, body: { reason: "keyCompromise" } });
    await expectProblem(await call("/v1/certificates", { token: tokens.admin, body, headers: { "Idempotency-Key": key } }), 409, "already_revoked");
  });

  it("takes over a claim left pending by a request that died, instead of blocking the key for 24 h", async () => {
    const key = crypto.randomUUID();
    const text = JSON.stringify({ hostnames: [`${unique()}.example.com`] });
    const hash = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`POST /v1/certificates?format=&name=&namespace=\n${text}`))), (b) => b.toString(16).padStart(2, "0")).join("");
    const old = new Date(Date.now() - 120_000);
    await env.DB!.prepare("INSERT INTO idempotency_keys (token_name, key, request_hash, state, created_at, expires_at) VALUES ('test-admin', ?, ?, 'pending', ?, ?)")
      .bind(key, hash, old.toISOString(), new Date(old.getTime() + 86_400_000).toISOString())
      .run();
    const started = Date.now();
    const res = await call("/v1/certificates", { token: tokens.admin, rawBody: text, method: "POST", headers: { "Idempotency-Key": key, "Content-Type": "application/json" } });
    expect(res.status).toBe(201);
    expect(Date.now() - started).toBeLessThan(5_000);
    const row = await env.DB!.prepare("SELECT state FROM idempotency_keys WHERE key = ?").bind(key).first<{ state: string }>();
    expect(row!.state).toBe("done");
  });

  it("answers 503 config_invalid when STORE_KEY is missing for a generated key", async () => {
    await expectProblem(
      await callWithEnv({ STORE_KEY: undefined }, "/v1/certificates", { token: tokens.admin, body: { hostnames: ["cp.example.com"] }, headers: { "Idempotency-Key": crypto.randomUUID() } }),
      503,
      "config_invalid",
    );
  });

  it("answers 503 config_invalid naming STORE_KEY when it is not 32 bytes of base64, and still issues when no key must be kept", async () => {
    const bad = { STORE_KEY: "bm90IGEga2V5" };
    const res = await callWithEnv(bad, "/v1/certificates", { token: tokens.admin, body: { hostnames: ["cp.example.com"] }, headers: { "Idempotency-Key": crypto.randomUUID() } });
    const problem = await expectProblem(res, 503, "config_invalid");
    expect(problem.detail).toBe("STORE_KEY must be 32 bytes, base64-encoded: make one with `openssl rand -base64 32`");
    expect(JSON.stringify(problem)).not.toContain(bad.STORE_KEY);
    // Without Idempotency-Key nothing is sealed: the key is not needed, so issuance goes on.
    expect((await callWithEnv(bad, "/v1/certificates", { token: tokens.admin, body: { hostnames: ["cp.example.com"] } })).status).toBe(201);
  });
});

describe("GET /v1/audit", () => {
  interface AuditEvents {
    events: { event: string; outcome: string; status: number; code: string | null; token_name: string | null; serial: string | null; request_id: string }[];
  }

  it("records issue, sign, revoke and refused requests with token, outcome and serial", async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const issued = await issue([`${unique()}.example.com`], { token: tokens.zoneA, body: { hostnames: ["cp.example.com"] } });
    await call(`/v1/certificates/${issued.serial_number}/revoke`, { token: tokens.admin, body: {} });
    const refused = await call("/v1/certificates", { token: tokens.zoneA, body: { hostnames: ["evil.example.com"] } });
    const unauth = await call("/v1/certificates", { body: { hostnames: ["x.example.com"] } });
    const res = await call(`/v1/audit?since=${since}&limit=500`, { token: tokens.admin });
    expect(res.status).toBe(200);
    const { events } = (await res.json()) as AuditEvents;
    expect(events.find((e) => e.event === "issue" && e.serial === issued.serial_number)).toMatchObject({ outcome: "success", status: 201, token_name: "zone-a-pipeline" });
    expect(events.find((e) => e.event === "revoke" && e.serial === issued.serial_number)).toMatchObject({ outcome: "success", token_name: "test-admin" });
    expect(events.find((e) => e.request_id === refused.headers.get("X-Request-Id"))).toMatchObject({ event: "refused", status: 403, code: "name_not_allowed", token_name: "zone-a-pipeline" });
    // Refusals without a principal are counted per address, code and minute: the row may carry an earlier request's id.
    expect(unauth.status).toBe(401);
    expect(events.find((e) => e.event === "refused" && e.status === 401 && e.code === "unauthorized" && e.token_name === null)).toBeDefined();
  });

  it("filters by token and time range, and requires the admin scope", async () => {
    const res = await call(`/v1/audit?token=short-ttl&until=${new Date(Date.now() + 60_000).toISOString()}`, { token: tokens.admin });
    const { events } = (await res.json()) as AuditEvents;
    expect(events.every((e) => e.token_name === "short-ttl")).toBe(true);
    await expectProblem(await call("/v1/audit", { token: tokens.reader }), 403, "insufficient_scope");
    await expectProblem(await call("/v1/audit?since=yesterday", { token: tokens.admin }), 400, "validation_failed");
  });
});
