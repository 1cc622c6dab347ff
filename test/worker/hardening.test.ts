/**
 * Hardening: HTTP hygiene, CORS, rate limits, input limits, and that no
 * secret (CA key, previous CA key, tokens, STORE_KEY, OIDC tokens and their
 * claims beyond the subject, the alert webhook URL and signing secret) ever
 * appears in a response, a log line or the audit trail.
 */
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import worker from "../../src/index.ts";
import { createRootCa } from "../../src/pki/ca-certificate.ts";
import { toHex } from "../../src/pki/bytes.ts";
import { decodePem, encodePem } from "../../src/pki/pem.ts";
import { call, callWithEnv, expectProblem, tokens, type IssuedJson } from "./helpers.ts";
import { inlineTrust, k8sClaims } from "./oidc-helpers.ts";

describe("HTTP hygiene", () => {
  it.each(["/healthz", "/v1/ca", "/v1/nope", "/v1/certificates"])("sets security headers on %s", async (path) => {
    const res = await call(path);
    expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(res.headers.get("X-Frame-Options")).toBe("DENY");
    expect(res.headers.get("Referrer-Policy")).toBe("no-referrer");
    expect(res.headers.get("Content-Security-Policy")).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(res.headers.get("X-Request-Id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get("Server")).toBeNull();
  });

  it("echoes a caller's request id in the header and the problem body", async () => {
    const res = await call("/v1/certificates", { method: "POST", rawBody: "{", headers: { "X-Request-Id": "pipeline-42.retry-1" }, token: tokens.admin });
    expect(res.headers.get("X-Request-Id")).toBe("pipeline-42.retry-1");
    expect(((await res.json()) as { request_id: string }).request_id).toBe("pipeline-42.retry-1");
    const odd = await call("/healthz", { headers: { "X-Request-Id": "<script>" } });
    expect(odd.headers.get("X-Request-Id")).not.toBe("<script>");
  });

  it("keeps CORS closed by default", async () => {
    const pre = await call("/v1/certificates", { method: "OPTIONS", headers: { Origin: "https://evil.example", "Access-Control-Request-Method": "POST" } });
    expect(pre.status).toBe(403);
    expect(pre.headers.get("Access-Control-Allow-Origin")).toBeNull();
    const get = await call("/v1/ca", { headers: { Origin: "https://evil.example" } });
    expect(get.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });

  it("opens CORS to the origins in CORS_ORIGINS only", async () => {
    const cfg = { CORS_ORIGINS: "https://ui.example.com, https://ops.example.com" };
    const pre = await callWithEnv(cfg, "/v1/certificates", { method: "OPTIONS", headers: { Origin: "https://ui.example.com", "Access-Control-Request-Method": "POST" } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get("Access-Control-Allow-Origin")).toBe("https://ui.example.com");
    expect(pre.headers.get("Access-Control-Allow-Headers")).toContain("Authorization");
    const get = await callWithEnv(cfg, "/v1/ca", { headers: { Origin: "https://ops.example.com" } });
    expect(get.headers.get("Access-Control-Allow-Origin")).toBe("https://ops.example.com");
    const other = await callWithEnv(cfg, "/v1/ca", { headers: { Origin: "https://evil.example" } });
    expect(other.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });
});

describe("rate limits", () => {
  const refuse = { limit: async () => ({ success: false }) };
  const keys: string[] = [];
  const record = { limit: async ({ key }: { key: string }) => (keys.push(key), { success: true }) };

  it("has the Workers rate-limiting bindings configured locally", async () => {
    expect(typeof env.RATE_LIMIT_TOKEN?.limit).toBe("function");
    expect((await env.RATE_LIMIT_TOKEN!.limit({ key: "probe" })).success).toBe(true);
    expect((await env.RATE_LIMIT_CLIENT!.limit({ key: "probe" })).success).toBe(true);
  });

  it("limits per token, keyed by the token's name, with 429 and Retry-After", async () => {
    const res = await callWithEnv({ RATE_LIMIT_TOKEN: refuse } as never, "/v1/certificates", { token: tokens.admin, body: { hostnames: ["cp.example.com"] } });
    await expectProblem(res, 429, "rate_limited");
    expect(res.headers.get("Retry-After")).toBe("60");
    await callWithEnv({ RATE_LIMIT_TOKEN: record } as never, "/v1/certificates", { token: tokens.zoneA, body: { hostnames: ["cp.example.com"] } });
    expect(keys).toContain("token:zone-a-pipeline");
  });

  it("limits per client address on every /v1 request, before authentication", async () => {
    const res = await callWithEnv({ RATE_LIMIT_CLIENT: refuse } as never, "/v1/certificates", { body: { hostnames: ["cp.example.com"] }, headers: { "CF-Connecting-IP": "198.51.100.7" } });
    await expectProblem(res, 429, "rate_limited");
    await callWithEnv({ RATE_LIMIT_CLIENT: record } as never, "/v1/ca", { headers: { "CF-Connecting-IP": "198.51.100.7" } });
    expect(keys).toContain("client:198.51.100.7");
  });

  it("cannot be routed around by percent-encoding the path", async () => {
    const res = await callWithEnv({ RATE_LIMIT_CLIENT: refuse } as never, "/%761/certificates", { body: { hostnames: ["cp.example.com"] }, token: tokens.admin });
    await expectProblem(res, 429, "rate_limited");
  });

  it("fails open when the limiter itself errors", async () => {
    const broken = { limit: async () => Promise.reject(new Error("limiter down")) };
    const res = await callWithEnv({ RATE_LIMIT_TOKEN: broken, RATE_LIMIT_CLIENT: broken } as never, "/v1/certificates", { token: tokens.admin, body: { hostnames: ["cp.example.com"] } });
    expect(res.status).toBe(201);
  });
});

describe("refusals without a principal are counted, not written one row each (issue 21 #7)", () => {
  it("200 requests with made-up tokens from one address write a handful of rows whose counts sum to 200", async () => {
    const address = `203.0.113.${Math.floor(Math.random() * 250) + 1}`;
    const madeUp = (i: number) => (i % 2 === 0 ? `edgeca_madeup${i}` : `eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ${i}.c2ln`);
    const statuses = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => (await call(i % 4 === 3 ? "/v1/certificates" : "/v1/audit", { token: madeUp(i), headers: { "CF-Connecting-IP": address } })).status),
    );
    expect(statuses.every((s) => s === 401)).toBe(true);
    const { results } = await env.DB!.prepare("SELECT code, count, token_name FROM audit_events WHERE client_address = ? ORDER BY id").bind(address).all<{ code: string; count: number; token_name: string | null }>();
    // Two codes (unauthorized for API-token-shaped, invalid_token for JWT-shaped), and at most one minute boundary crossed.
    expect(results.length).toBeGreaterThanOrEqual(2);
    expect(results.length).toBeLessThanOrEqual(4);
    expect(new Set(results.map((r) => r.code))).toEqual(new Set(["unauthorized", "invalid_token"]));
    expect(results.reduce((n, r) => n + r.count, 0)).toBe(200);
    expect(results.every((r) => r.token_name === null)).toBe(true);
    // Listed with their counts.
    const listed = (await (await call(`/v1/audit?limit=500`, { token: tokens.admin })).json()) as { events: { client_address: string | null; count: number }[] };
    expect(listed.events.filter((e) => e.client_address === address).reduce((n, e) => n + e.count, 0)).toBe(200);
    // Another address is another row; a refused caller with a principal still gets a row per request.
    await call("/v1/audit", { token: "edgeca_other", headers: { "CF-Connecting-IP": "192.0.2.200" } });
    const other = await env.DB!.prepare("SELECT count FROM audit_events WHERE client_address = '192.0.2.200'").all<{ count: number }>();
    expect(other.results).toEqual([{ count: 1 }]);
    for (let i = 0; i < 3; i++) await call("/v1/audit", { token: tokens.reader, headers: { "CF-Connecting-IP": address } });
    const scoped = await env.DB!.prepare("SELECT count FROM audit_events WHERE client_address = ? AND token_name = 'reader'").bind(address).all<{ count: number }>();
    expect(scoped.results).toEqual([{ count: 1 }, { count: 1 }, { count: 1 }]);
  });
});

describe("input limits", () => {
  it("refuses more than 16 PEM blocks in a chain", async () => {
    const p = await expectProblem(await call("/v1/verify", { token: tokens.admin, body: { chain: env.TEST_ROOT_PEM.repeat(17) } }), 400, "validation_failed");
    expect(p.detail).toContain("16");
  });

  it("refuses a certificate block over 16 KiB, naming it", async () => {
    const p = await expectProblem(await call("/v1/verify", { token: tokens.admin, body: { chain: env.TEST_ROOT_PEM + encodePem("CERTIFICATE", new Uint8Array(20_000)) } }), 400, "invalid_certificate");
    expect(p["block"]).toBe(1);
  });

  it("refuses a body over 64 KiB even without Content-Length", async () => {
    const stream = new ReadableStream({
      start(ctl) {
        for (let i = 0; i < 80; i++) ctl.enqueue(new TextEncoder().encode("x".repeat(1024)));
        ctl.close();
      },
    });
    await expectProblem(await call("/v1/verify", { method: "POST", token: tokens.admin, rawBody: stream }), 413, "payload_too_large");
  });
});

describe("secrets never leak", () => {
  const logged: string[] = [];
  const spies: { mockRestore(): void }[] = [];
  beforeAll(() => {
    for (const m of ["log", "info", "warn", "error", "debug"] as const) {
      spies.push(vi.spyOn(console, m).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(" "))));
    }
  });
  afterAll(() => spies.forEach((s) => s.mockRestore()));

  it("keeps the CA key, tokens and STORE_KEY out of every response body, header and log line", async () => {
    const seen: string[] = [];
    const capture = async (res: Response) => {
      seen.push(`${res.status} ${[...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n")}\n${await res.text()}`);
    };
    const issued = await call("/v1/certificates", { token: tokens.admin, body: { hostnames: ["cp.example.com"] } });
    const body = (await issued.clone().json()) as IssuedJson;
    await capture(issued);
    await capture(await call("/v1/certificates?format=tar", { token: tokens.admin, body: { hostnames: ["cp.example.com"] } }));
    await capture(await call("/v1/certificates?format=kubernetes-secret", { token: tokens.admin, body: { hostnames: ["cp.example.com"] } }));
    await capture(await call("/v1/verify", { token: tokens.admin, body: { chain: body.chain } }));
    await capture(await call(`/v1/certificates/${body.serial_number}`, { token: tokens.admin }));
    await capture(await call(`/v1/certificates/${body.serial_number}/revoke`, { token: tokens.admin, body: {} }));
    await capture(await call("/v1/crl?format=pem"));
    await capture(await call("/v1/audit", { token: tokens.admin }));
    await capture(await call("/healthz"));
    await capture(await call("/metrics", { token: tokens.admin }));
    await capture(await call("/v1/ca?format=json"));
    await capture(await call("/v1/certificates", { token: "edgeca_wrong", body: { hostnames: ["cp.example.com"] } }));
    await capture(await call("/v1/certificates", { token: tokens.reader, body: { hostnames: ["cp.example.com"] } }));
    await capture(await call("/v1/certificates", { token: tokens.zoneA, body: { hostnames: ["evil.example.com"] } }));
    await capture(await call("/v1/certificates", { token: tokens.admin, rawBody: "{", method: "POST" }));
    await capture(await call("/v1/certificates/sign", { token: tokens.admin, body: { csr: "garbage" } }));
    await capture(await call("/v1/verify", { token: tokens.admin, body: { chain: "garbage" } }));
    await capture(await callWithEnv({ CA_KEY: env.CA_KEY!.replace(/[A-Z]/, "a") }, "/v1/certificates", { token: tokens.admin, body: { hostnames: ["cp.example.com"] } }));
    await capture(await callWithEnv({ DB: { prepare: () => { throw new Error("D1 down"); }, batch: () => Promise.reject(new Error("D1 down")) } } as never, "/v1/certificates", { token: tokens.admin, body: { hostnames: ["cp.example.com"] } }));
    await capture(await callWithEnv({ API_TOKENS: "[" }, "/v1/certificates", { token: tokens.admin, body: { hostnames: ["cp.example.com"] } }));

    const keyBlocks = decodePem(env.CA_KEY!);
    if (!keyBlocks.ok) throw new Error("bad CA_KEY");
    const keyDer = keyBlocks.value[0]!.der;
    const keyB64Body = env.CA_KEY!.split("\n").filter((l) => l && !l.startsWith("-----")).join("");
    const needles = [
      ["CA key PEM line", env.CA_KEY!.split("\n")[1]!],
      ["CA key base64", keyB64Body.slice(20, 60)],
      ["CA key bytes (hex)", toHex(keyDer.subarray(keyDer.length - 32))],
      ["STORE_KEY", env.STORE_KEY!],
      ...Object.entries(tokens).map(([k, v]) => [`token ${k}`, v] as [string, string]),
    ] as [string, string][];
    const haystack = [...seen, ...logged].join("\n");
    expect(seen.length).toBeGreaterThan(15);
    for (const [what, needle] of needles) expect(haystack.includes(needle), what).toBe(false);
    // Sanity: the needle search works (the issued private key is in its own response).
    expect(haystack.includes(body.private_key!.split("\n")[1]!)).toBe(true);
  });

  it("keeps OIDC tokens and their claims (beyond the subject) out of every response and log line", async () => {
    const trust = await inlineTrust();
    const seen: string[] = [];
    const send = async (token: string, path = "/v1/certificates", body: unknown = { hostnames: ["kuma-control-plane.zone-a.svc"] }) => {
      const res = await callWithEnv({ OIDC_TRUST: trust.OIDC_TRUST }, path, { token, body });
      seen.push(`${res.status} ${[...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n")}\n${await res.text()}`);
    };
    const t = Math.floor(Date.now() / 1000);
    const jwts = [
      await trust.sign(k8sClaims("zone-a")),
      await trust.sign(k8sClaims("zone-a", { aud: "https://elsewhere.example" })),
      await trust.sign(k8sClaims("zone-a", { exp: t - 600 })),
      await trust.sign(k8sClaims("zone-a", { exp: t + 90_000 })),
      await trust.sign(k8sClaims("zone-a", { iss: "https://untrusted.example" })),
      await trust.sign(k8sClaims("zone-a", { "kubernetes.io": { namespace: "a.b", serviceaccount: { name: "kuma-control-plane" }, pod: { name: "kuma-control-plane-7f9c4-secretpod" } } })),
    ];
    for (const jwt of jwts) await send(jwt);
    await send(jwts[0]!, "/v1/certificates", { hostnames: ["kuma-control-plane.zone-b.svc"] });
    await send(jwts[0]!, "/v1/verify", { chain: "x" });
    await send(jwts[0]!.slice(0, -10));
    await send(jwts[0]!, "/v1/certificates?format=kubernetes-secret");
    const haystack = [...seen, ...logged].join("\n");
    expect(seen.length).toBe(10);
    for (const jwt of jwts) for (const part of jwt.split(".")) expect(haystack.includes(part.slice(0, 40)), "a JWT segment").toBe(false);
    for (const claim of ["kuma-control-plane-7f9c4-secretpod", "elsewhere.example", "untrusted.example", "5a2c1b0d"]) expect(haystack.includes(claim), claim).toBe(false);
  });

  it("keeps CA_PREVIOUS_KEY, ALERT_WEBHOOK_URL and ALERT_WEBHOOK_SECRET out of every response, log line and audit event", async () => {
    const day = 86_400_000;
    const make = (cn: string) => createRootCa({ subject: `CN=${cn}`, keyAlgorithm: "ecdsa-p256", notBefore: new Date(Date.now() - day), notAfter: new Date(Date.now() + 365 * day) });
    const [previous, stranger] = await Promise.all([make("edgeca hardening previous CA"), make("edgeca hardening stranger")]);
    const previousFp = toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", decodeOne(previous.certificatePem))));
    const rotation = { CA_TRUST: env.TEST_ROOT_PEM + previous.certificatePem, CA_PREVIOUS_CERT: previous.certificatePem, CA_PREVIOUS_KEY: previous.privateKeyPem };
    const seen: string[] = [];
    const capture = async (res: Response) => void seen.push(`${res.status} ${[...res.headers].map(([k, v]) => `${k}: ${v}`).join("\n")}\n${await res.text()}`);

    // The switch phase: every endpoint that reads the CA set, and the previous issuer's CRL (signed with CA_PREVIOUS_KEY).
    await capture(await callWithEnv(rotation, "/healthz"));
    await capture(await callWithEnv(rotation, "/v1/ca/status", { token: tokens.reader }));
    await capture(await callWithEnv(rotation, `/v1/crl?issuer=${previousFp}&format=pem`));
    await capture(await callWithEnv(rotation, "/v1/ca?format=json"));
    await capture(await callWithEnv(rotation, "/metrics", { token: tokens.admin }));
    await capture(await callWithEnv(rotation, "/v1/certificates", { token: tokens.admin, body: { hostnames: ["cp.example.com"] } }));
    // A previous key of another CA, a damaged one, and one without its certificate: 503s and warnings that say what is wrong, never the key.
    await capture(await callWithEnv({ ...rotation, CA_PREVIOUS_KEY: stranger.privateKeyPem }, "/healthz"));
    await capture(await callWithEnv({ ...rotation, CA_PREVIOUS_KEY: previous.privateKeyPem.replace(/[A-Z]/, "a") }, "/v1/certificates", { token: tokens.admin, body: { hostnames: ["cp.example.com"] } }));
    await capture(await callWithEnv({ CA_PREVIOUS_KEY: previous.privateKeyPem }, "/healthz"));
    expect(seen.map((r) => Number(r.slice(0, 3)))).toEqual([200, 200, 200, 200, 200, 201, 503, 503, 200]);

    // Alerts: a delivery that fails (nothing listens on the discard port), and a URL refused by the settings.
    const webhook = { ALERT_WEBHOOK_URL: "http://127.0.0.1:9/services/T0/B0/hook-path-credential", ALERT_WEBHOOK_SECRET: "whsec-hardening-signing-secret" };
    const atRisk = await call("/v1/certificates", { token: tokens.admin, body: { hostnames: ["alert-hardening.example.com"], ttl: "2d" } });
    expect(atRisk.status).toBe(201);
    const scheduled = (extra: Record<string, string>) => worker.scheduled!(createScheduledController({ scheduledTime: Date.now(), cron: "17 3 * * *" }), { ...env, ...extra });
    await scheduled(webhook);
    await scheduled({ ...webhook, ALERT_WEBHOOK_URL: "http://hooks.example.com/services/T0/B0/hook-path-credential" });
    const audit = await call("/v1/audit?limit=20", { token: tokens.admin });
    const events = (await audit.clone().json()) as { events: { event: string; outcome: string; path: string }[] };
    expect(events.events).toContainEqual(expect.objectContaining({ event: "alert", outcome: "failure", path: "alert-webhook" }));
    await capture(audit);

    const keyDer = decodeOne(previous.privateKeyPem, "PRIVATE KEY");
    const needles: [string, string][] = [
      ["CA_PREVIOUS_KEY PEM line", previous.privateKeyPem.split("\n")[1]!],
      ["CA_PREVIOUS_KEY bytes (hex)", toHex(keyDer.subarray(keyDer.length - 32))],
      ["stranger key PEM line", stranger.privateKeyPem.split("\n")[1]!],
      ["ALERT_WEBHOOK_URL", "hook-path-credential"],
      ["ALERT_WEBHOOK_SECRET", webhook.ALERT_WEBHOOK_SECRET],
    ];
    const haystack = [...seen, ...logged].join("\n");
    for (const [what, needle] of needles) expect(haystack.includes(needle), what).toBe(false);
    // Sanity: what is looked through holds the failures (the mismatch named, the delivery failure logged).
    expect(haystack).toContain("CA_PREVIOUS_KEY does not belong to the first certificate in CA_PREVIOUS_CERT");
    expect(haystack).toContain("expiry alert not delivered");
  });
});

/** The DER of a PEM's first block (with that label). */
function decodeOne(pem: string, label = "CERTIFICATE"): Uint8Array {
  const blocks = decodePem(pem);
  if (!blocks.ok || blocks.value[0]!.label !== label) throw new Error(`not a ${label} PEM`);
  return blocks.value[0]!.der;
}

describe("names are refused before conversion, each with a message naming the fix (issue 21 #5, issue 20)", () => {
  it.each([
    ["https://cp.example.com", '"https://cp.example.com" is a URL; send the host name alone: "cp.example.com"'],
    ["grpcs://cp.example.com:5685", '"grpcs://cp.example.com:5685" is a URL; send the host name alone: "cp.example.com"'],
    ["cp.example.com:5678", '"cp.example.com:5678" has a port (":5678"); a certificate names hosts, not ports: remove it; send the host name alone: "cp.example.com"'],
    ["cp.example.com/kds", '"cp.example.com/kds" has a path ("/kds"): remove it; send the host name alone: "cp.example.com"'],
    ["cp.example.com/", '"cp.example.com/" ends in "/": remove it; send the host name alone: "cp.example.com"'],
    ["ü@victim.example.net/x.zone-a.mesh.example.com", '"ü@victim.example.net/x.zone-a.mesh.example.com" contains "@" (U+0040), which is URL syntax, not part of a host name: send the host name alone'],
    ["x\u200b.zone-a.mesh.example.com", '"x\u200b.zone-a.mesh.example.com" contains U+200B, which internationalized-name mapping (UTS #46) would drop or turn into a dot, so the certified name would differ from the one sent'],
    ["kds .zone-a.mesh.example.com", '"kds .zone-a.mesh.example.com" contains a space (U+0020), which no host name contains: remove the white space'],
  ])("POST /v1/certificates with %j → 400 invalid_hostname: %s", async (name, message) => {
    const res = await call("/v1/certificates", { token: tokens.admin, body: { hostnames: ["ok.example.com", name] } });
    const p = await expectProblem(res, 400, "invalid_hostname");
    expect(p.errors).toEqual([{ pointer: "/hostnames/1", detail: message }]);
    expect(p.detail).toBe(`invalid names: ${message}`);
  });
});
