/**
 * Hostile-input properties for every endpoint, shared by the bounded run in
 * `npm test` (inside workerd, fixed seed) and `npm run fuzz` (over HTTP,
 * random seed, long). The invariant: every answer is a 2xx/3xx, or a
 * problem+json 4xx with a known code; never a 5xx, never a hang.
 */
import fc from "fast-check";
import { ERROR_TABLE } from "../../src/errors.ts";
import { createRootCa } from "../../src/pki/ca-certificate.ts";
import { encodePem } from "../../src/pki/pem.ts";
import { x509 } from "../../src/pki/x509.ts";
// The issuer of the OIDC_TRUST policy the fuzz runs configure.
import { OIDC_ISSUER } from "../worker/oidc-helpers.ts";

export type Send = (req: Request) => Promise<Response>;

export interface Samples {
  certDer: Uint8Array;
  csrDer: Uint8Array;
}

export async function makeSamples(): Promise<Samples> {
  const now = Date.now();
  const ca = await createRootCa({ subject: "CN=fuzz", keyAlgorithm: "ecdsa-p256", notBefore: new Date(now - 86_400_000), notAfter: new Date(now + 86_400_000) });
  const keys = ca.keys;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: "CN=fuzz.example.com",
    keys,
    signingAlgorithm: { name: "ECDSA", hash: "SHA-256" },
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: "dns", value: "fuzz.example.com" }])],
  });
  return { certDer: new Uint8Array(ca.certificate.rawData), csrDer: new Uint8Array(csr.rawData) };
}

/** DER a hostile parser must survive: huge SEQUENCEs, indefinite lengths, absurd lengths, deep nesting. */
function hostileDer(): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.constant(new Uint8Array([0x30, 0x82, 0x4e, 0x20, ...new Array(10_000).fill(0).flatMap(() => [0x05, 0x00])].slice(0, 20_004))),
    fc.constant(new Uint8Array([0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00])),
    fc.constant(new Uint8Array([0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x00])),
    fc.constant(new Uint8Array(new Array(2000).fill(0).flatMap((_, i) => (i < 1000 ? [0x30, 0x80] : [0x00, 0x00])))),
    fc.uint8Array({ maxLength: 512 }),
  );
}

function mutate(der: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.tuple(fc.nat(der.length - 1), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
      const d = der.slice();
      d[i] = d[i]! ^ x;
      return d;
    }),
    fc.nat(der.length).map((n) => der.slice(0, n)),
    fc.tuple(fc.nat(der.length - 1), fc.uint8Array({ minLength: 1, maxLength: 8 })).map(([i, ins]) => new Uint8Array([...der.slice(0, i), ...ins, ...der.slice(i)])),
    hostileDer(),
  );
}

function pemText(samples: Samples, label: string, der: Uint8Array): fc.Arbitrary<string> {
  void samples;
  return fc.oneof(
    mutate(der).map((d) => encodePem(label, d)),
    mutate(der).map((d) => encodePem("CERTIFICATE", d) + encodePem(label, d)),
    fc.string({ maxLength: 300 }).map((s) => `-----BEGIN ${label}-----\n${s}\n-----END ${label}-----\n`),
    fc.string({ maxLength: 200 }),
    fc.constant(`-----BEGIN ${label}-----\n${"A".repeat(60_000)}\n-----END ${label}-----\n`),
    fc.constant(encodePem("CERTIFICATE", der).repeat(40)),
  );
}

const nameish = fc.oneof(
  fc.domain(),
  fc.string({ maxLength: 80 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.constantFrom("*.com", "*", "bücher.example", "xn--", "xn--zz.example", "-.example.com", "a..b", "::", "::ffff:1.2.3.4", "fe80::1%eth0", "1.2.3", "256.1.1.1", "0x7f.1", "[::1]", "a".repeat(300), "ﬁ.example", "\u0000.example", "例え.テスト"),
  fc.ipV4(),
  fc.ipV6(),
);

const jsonValue = fc.oneof(fc.jsonValue(), fc.constant(1e308), fc.constant(-0), fc.bigInt().map((b) => b.toString()));

function issueBody(): fc.Arbitrary<string> {
  const record = fc.record(
    {
      hostnames: fc.oneof(fc.array(nameish, { maxLength: 120 }), jsonValue),
      usage: fc.oneof(fc.constantFrom("server", "client"), fc.array(fc.string({ maxLength: 10 }), { maxLength: 3 }), jsonValue),
      key: fc.oneof(fc.constantFrom("ecdsa-p256", "ed25519", "ecdsa-p384", "dsa", ""), jsonValue),
      ttl: fc.oneof(fc.constantFrom("1h", "90d", "0d", "99999999d", "1.5d", ""), fc.string({ maxLength: 12 }), jsonValue),
      common_name: fc.oneof(fc.string({ maxLength: 80 }), jsonValue),
      purpose: fc.oneof(fc.constantFrom("general", "kds-global", "client", "nope"), jsonValue),
      product: fc.oneof(fc.constantFrom("kuma", "kong-mesh", "istio"), jsonValue),
      extra: jsonValue,
    },
    { requiredKeys: [] },
  );
  return fc.oneof(
    record.map((r) => JSON.stringify(r)),
    fc.json(),
    fc.string({ maxLength: 500 }),
    fc.uint8Array({ maxLength: 500 }).map((b) => String.fromCharCode(...b)),
    fc.integer({ min: 1, max: 20_000 }).map((n) => "[".repeat(n) + "]".repeat(n)),
    fc.integer({ min: 1, max: 5_000 }).map((n) => '{"a":'.repeat(n) + "1" + "}".repeat(n)),
    fc.constant('{"hostnames":["a.example.com"],"ttl":1e999999}'),
    fc.constant(`{"hostnames":[${'"x",'.repeat(10_000)}"y"]}`),
  );
}

const b64url = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const numericDate = fc.oneof(
  fc.integer({ min: 0, max: 4_102_444_800 }),
  fc.constant(Math.floor(Date.now() / 1000)),
  fc.constantFrom(1e308, -1, 0.5, Number.MAX_SAFE_INTEGER),
  jsonValue,
);

/**
 * Bearer values shaped like JWS compact tokens: headers with every kind of
 * alg (none, HMAC, asymmetric, junk), claims of the wrong types, nested
 * claims and placeholders' values, broken segments and sizes. `issuers` are
 * trusted by the service under test, so verification and policy code runs too.
 */
export function jwtBearer(issuers: readonly string[]): fc.Arbitrary<string> {
  const header = fc.record(
    { alg: fc.oneof(fc.constantFrom("none", "None", "HS256", "RS256", "ES256", "PS512", "EdDSA", "ES256K", ""), jsonValue), kid: fc.oneof(fc.constantFrom("rsa-1", "ec-1"), jsonValue), typ: fc.constant("JWT"), crit: jsonValue },
    { requiredKeys: ["alg"] },
  );
  const claims = fc.record(
    {
      iss: fc.oneof(fc.constantFrom(...issuers), jsonValue),
      aud: fc.oneof(fc.constantFrom("https://ca.example.com", ["https://ca.example.com"]), jsonValue),
      sub: fc.oneof(fc.string({ maxLength: 300 }), jsonValue),
      exp: numericDate,
      iat: numericDate,
      nbf: numericDate,
      "kubernetes.io": fc.oneof(fc.record({ namespace: fc.oneof(nameish, jsonValue), serviceaccount: fc.oneof(fc.record({ name: fc.constantFrom("kuma-control-plane", "*") }), jsonValue) }), jsonValue),
      ref: fc.oneof(fc.string({ maxLength: 40 }), jsonValue),
    },
    { requiredKeys: [] },
  );
  const segment = fc.string({ unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".split("")), maxLength: 400 });
  return fc.oneof(
    fc.tuple(header, claims, segment).map(([h, c, sig]) => `${b64url(JSON.stringify(h))}.${b64url(JSON.stringify(c))}.${sig}`),
    fc.tuple(fc.json(), fc.json(), segment).map(([h, c, sig]) => `eyJ${b64url(h)}.${b64url(c)}.${sig}`),
    fc.tuple(segment, segment, segment).map(([a, b, c]) => `eyJ${a}.${b}.${c}`),
    fc.integer({ min: 1, max: 20 }).map((n) => "eyJ" + ".".repeat(n)),
    fc.integer({ min: 8000, max: 70_000 }).map((n) => `eyJhbGciOiJSUzI1NiJ9.${"A".repeat(n)}.sig`),
  );
}

export interface Target {
  name: string;
  arbitrary: fc.Arbitrary<{ method: string; path: string; body?: string; auth: boolean; bearer?: string }>;
}

export function targets(samples: Samples): Target[] {
  const post = (path: string, body: fc.Arbitrary<string>) => body.map((b) => ({ method: "POST", path, body: b, auth: true }));
  const q = fc.string({ maxLength: 40 }).map((s) => encodeURIComponent(s));
  return [
    { name: "POST /v1/certificates", arbitrary: fc.tuple(post("/v1/certificates", issueBody()), fc.constantFrom("", "?format=tar", "?format=kubernetes-secret&name=x", "?format=zip")).map(([r, qs]) => ({ ...r, path: r.path + qs })) },
    {
      name: "POST /v1/certificates/sign",
      arbitrary: post(
        "/v1/certificates/sign",
        fc.record({ csr: pemText(samples, "CERTIFICATE REQUEST", samples.csrDer), hostnames: fc.option(fc.array(nameish, { maxLength: 5 }), { nil: undefined }) }).map((r) => JSON.stringify(r)),
      ),
    },
    {
      name: "POST /v1/verify",
      arbitrary: post(
        "/v1/verify",
        fc
          .record({ chain: pemText(samples, "CERTIFICATE", samples.certDer), roots: fc.option(pemText(samples, "CERTIFICATE", samples.certDer), { nil: undefined }), hostname: fc.option(nameish, { nil: undefined }), at: fc.option(fc.oneof(fc.string({ maxLength: 30 }), fc.date({ noInvalidDate: true }).map((d) => d.toISOString())), { nil: undefined }) })
          .map((r) => JSON.stringify(r)),
      ),
    },
    { name: "GET /v1/certificates", arbitrary: fc.tuple(fc.constantFrom("hostname", "status", "expiring_within", "token", "limit", "cursor", "x"), q).map(([k, v]) => ({ method: "GET", path: `/v1/certificates?${k}=${v}`, auth: true })) },
    { name: "GET /v1/certificates/{serial}", arbitrary: q.map((v) => ({ method: "GET", path: `/v1/certificates/${v || "x"}`, auth: true })) },
    { name: "POST revoke", arbitrary: fc.tuple(q, issueBody()).map(([v, body]) => ({ method: "POST", path: `/v1/certificates/${v || "x"}/revoke`, body, auth: true })) },
    { name: "GET /v1/ca, /v1/crl, /v1/audit", arbitrary: fc.tuple(fc.constantFrom("/v1/ca", "/v1/crl", "/v1/audit"), fc.constantFrom("format", "since", "until", "limit"), q).map(([p, k, v]) => ({ method: "GET", path: `${p}?${k}=${v}`, auth: true })) },
    {
      name: "JWT-shaped bearer values",
      arbitrary: fc
        .tuple(jwtBearer([OIDC_ISSUER, "https://token.actions.githubusercontent.com"]), fc.constantFrom("/v1/certificates", "/v1/certificates?token=zone-cp", "/v1/audit"))
        .map(([bearer, path]) => ({ method: path === "/v1/certificates" ? "POST" : "GET", path, auth: true, bearer, ...(path === "/v1/certificates" ? { body: '{"hostnames":["kuma-control-plane.zone-a.svc"]}' } : {}) })),
    },
    {
      name: "any method, any path",
      arbitrary: fc
        .tuple(fc.constantFrom("GET", "PUT", "DELETE", "PATCH", "POST", "OPTIONS"), fc.webPath(), fc.boolean())
        .map(([method, path, auth]) => ({ method, path: path || "/", auth, ...(method === "GET" || method === "OPTIONS" ? {} : { body: "{}" }) })),
    },
  ];
}

const KNOWN_CODES = new Set(Object.keys(ERROR_TABLE));

/** Sends one request and returns a description of what is wrong with the answer, or null. */
export async function checkOne(send: Send, base: string, token: string, r: { method: string; path: string; body?: string; auth: boolean; bearer?: string }, maxMs: number): Promise<string | null> {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (r.auth) headers["Authorization"] = `Bearer ${r.bearer ?? token}`;
  const started = Date.now();
  let res: Response;
  try {
    res = await send(new Request(base + (r.path.startsWith("/") ? r.path : `/${r.path}`), { method: r.method, headers, body: r.body ?? null }));
  } catch (e) {
    return `threw: ${e instanceof Error ? e.message : String(e)}`;
  }
  const text = await res.text();
  const elapsed = Date.now() - started;
  if (elapsed > maxMs) return `took ${elapsed} ms`;
  if (res.status >= 500) return `answered ${res.status}: ${text.slice(0, 300)}`;
  if (res.status >= 400) {
    if (!res.headers.get("Content-Type")?.startsWith("application/problem+json")) return `a ${res.status} that is not problem+json`;
    let code: unknown;
    try {
      code = (JSON.parse(text) as { code?: unknown }).code;
    } catch {
      return `a ${res.status} whose body is not JSON`;
    }
    if (typeof code !== "string" || !KNOWN_CODES.has(code)) return `unknown problem code ${String(code)}`;
  }
  return null;
}
