/**
 * Hostile-input properties for every endpoint, shared by the bounded run in
 * `npm test` (inside workerd, fixed seed) and `npm run fuzz` (over HTTP,
 * random seed, long). The invariant: every answer is a 2xx/3xx, or a
 * problem+json 4xx with a known code; never a 5xx, never a hang.
 */
import fc from "fast-check";
import { exportJWK, FlattenedSign } from "jose";
import { ERROR_TABLE } from "../../src/errors.ts";
import { ACME_ERRORS, ACME_ERROR_PREFIX } from "../../src/pki/acme/problem.ts";
import { createRootCa } from "../../src/pki/ca-certificate.ts";
import { encodePem } from "../../src/pki/pem.ts";
import { x509 } from "../../src/pki/x509.ts";
// The issuer of the OIDC_TRUST policy the fuzz runs configure.
import { OIDC_ISSUER } from "../worker/oidc-helpers.ts";

export type Send = (req: Request) => Promise<Response>;

export interface Samples {
  certDer: Uint8Array;
  csrDer: Uint8Array;
  /** An ES256 key that signs fuzzed ACME payloads for real, so the code past signature verification runs. */
  acmeKey: { privateKey: CryptoKey; jwk: Record<string, unknown> };
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
  const acme = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const { kty, crv, x, y } = await exportJWK(acme.publicKey);
  return { certDer: new Uint8Array(ca.certificate.rawData), csrDer: new Uint8Array(csr.rawData), acmeKey: { privateKey: acme.privateKey, jwk: { kty, crv, x, y } } };
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

/**
 * An ACME JWS to build when sending: the protected header as fuzzed, with "$nonce" replaced by a
 * fresh nonce of the server under test and "$url" by the request URL; `sign` signs the payload with
 * the samples' key (its jwk in the header), otherwise payload and signature are sent as given.
 */
export interface JwsSpec {
  header: Record<string, unknown>;
  payload: unknown;
  signature?: string;
  sign: boolean;
}

export interface FuzzRequest {
  method: string;
  path: string;
  body?: string;
  auth: boolean;
  bearer?: string;
  contentType?: string;
  jws?: JwsSpec;
}

export interface Target {
  name: string;
  arbitrary: fc.Arbitrary<FuzzRequest>;
}

const ACME_POST_PATHS = ["/acme/new-account", "/acme/new-order", "/acme/revoke-cert", "/acme/key-change", "/acme/order/x/finalize", "/acme/account/x", "/acme/authz/x", "/acme/cert/x"] as const;

/** Protected headers of every shape: algs (none, MAC, asymmetric, junk), nonce and url right or wrong, kid/jwk junk. */
function acmeHeader(): fc.Arbitrary<Record<string, unknown>> {
  const jwk = fc.oneof(
    fc.record({ kty: fc.constantFrom("EC", "RSA", "OKP", "oct", ""), crv: fc.constantFrom("P-256", "P-384", "Ed25519", "X25519", "P-521"), x: fc.base64String({ maxLength: 90 }), y: fc.base64String({ maxLength: 90 }), n: fc.base64String({ maxLength: 400 }), e: fc.constantFrom("AQAB", "Aw", ""), d: fc.base64String({ maxLength: 10 }) }, { requiredKeys: [] }),
    jsonValue,
  );
  return fc.record(
    {
      alg: fc.oneof(fc.constantFrom("ES256", "ES384", "RS256", "EdDSA", "none", "HS256", "HS512", "PS256", ""), jsonValue),
      nonce: fc.oneof(fc.constant("$nonce"), fc.string({ maxLength: 80 }), jsonValue),
      url: fc.oneof(fc.constant("$url"), fc.webUrl(), jsonValue),
      kid: fc.oneof(fc.constantFrom("http://edgeca.test/acme/account/x", "http://edgeca.test/acme/account/"), fc.string({ maxLength: 100 }), jsonValue),
      jwk,
      crit: jsonValue,
      b64: fc.boolean(),
    },
    { requiredKeys: [] },
  );
}

/** Payloads for every ACME resource, hostile members included (EAB objects, identifiers, CSRs, certificates, inner JWS). */
function acmePayload(samples: Samples): fc.Arbitrary<unknown> {
  const b64 = (d: Uint8Array) => btoa(String.fromCharCode(...d)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const innerJws = fc.record({ protected: fc.oneof(fc.base64String({ maxLength: 200 }), acmeHeader().map((h) => b64(new TextEncoder().encode(JSON.stringify(h))))), payload: fc.oneof(fc.base64String({ maxLength: 200 }), jsonValue), signature: fc.base64String({ maxLength: 200 }), header: fc.option(jsonValue, { nil: undefined }) }, { requiredKeys: [] });
  return fc.oneof(
    fc.constant(""),
    fc.record(
      {
        termsOfServiceAgreed: fc.oneof(fc.boolean(), jsonValue),
        contact: fc.oneof(fc.array(fc.oneof(fc.constant("mailto:a@example.com"), fc.string({ maxLength: 60 })), { maxLength: 12 }), jsonValue),
        onlyReturnExisting: fc.oneof(fc.boolean(), jsonValue),
        externalAccountBinding: fc.oneof(innerJws, jsonValue),
        identifiers: fc.oneof(fc.array(fc.record({ type: fc.oneof(fc.constantFrom("dns", "ip", "email"), jsonValue), value: fc.oneof(nameish, jsonValue) }), { maxLength: 110 }), jsonValue),
        notBefore: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), jsonValue),
        notAfter: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.string({ maxLength: 30 }), jsonValue),
        csr: fc.oneof(mutate(samples.csrDer).map(b64), fc.string({ maxLength: 100 }), jsonValue),
        certificate: fc.oneof(mutate(samples.certDer).map(b64), fc.string({ maxLength: 100 }), jsonValue),
        reason: fc.oneof(fc.integer({ min: -2, max: 12 }), jsonValue),
        status: fc.oneof(fc.constantFrom("deactivated", "valid", "revoked"), jsonValue),
        account: fc.oneof(fc.webUrl(), jsonValue),
        oldKey: jsonValue,
      },
      { requiredKeys: [] },
    ),
    innerJws,
    jsonValue,
  );
}

function acmeTargets(samples: Samples): Target[] {
  const path = fc.constantFrom(...ACME_POST_PATHS);
  const type = fc.constantFrom("application/jose+json", "application/jose+json; charset=utf-8", "application/json", "");
  return [
    {
      name: "ACME JWS bodies",
      arbitrary: fc
        .tuple(path, acmeHeader(), acmePayload(samples), fc.base64String({ maxLength: 200 }), type)
        .map(([p, header, payload, signature, contentType]) => ({ method: "POST", path: p, auth: false, contentType: contentType || "application/jose+json", jws: { header, payload, signature: signature.replace(/=+$/, ""), sign: false } })),
    },
    {
      name: "ACME bodies that are not JWS",
      arbitrary: fc.tuple(path, issueBody()).map(([p, body]) => ({ method: "POST", path: p, body, auth: false, contentType: "application/jose+json" })),
    },
    {
      name: "ACME payloads signed for real",
      arbitrary: fc
        .tuple(fc.constantFrom("/acme/new-account", "/acme/revoke-cert", "/acme/new-order"), acmePayload(samples), fc.constantFrom("$nonce", "stale"))
        .map(([p, payload, nonce]) => ({ method: "POST", path: p, auth: false, contentType: "application/jose+json", jws: { header: { alg: "ES256", nonce, url: "$url", jwk: samples.acmeKey.jwk }, payload, sign: true } })),
    },
    { name: "ACME GET and HEAD", arbitrary: fc.tuple(fc.constantFrom("GET", "HEAD", "PUT", "DELETE"), fc.constantFrom("/acme/directory", "/acme/new-nonce", "/acme/renewal-info/x", "/acme/order/x", "/acme/", "/acme/x/y")).map(([method, p]) => ({ method, path: p, auth: false })) },
  ];
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
    ...acmeTargets(samples),
  ];
}

const KNOWN_CODES = new Set(Object.keys(ERROR_TABLE));

const b64urlText = (text: string) => btoa(String.fromCharCode(...new TextEncoder().encode(text))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

/** The JWS body of a spec, with a fresh nonce fetched from the server under test where it asks for one. */
async function buildJws(send: Send, base: string, path: string, spec: JwsSpec, key: Samples["acmeKey"] | undefined): Promise<string> {
  const header = { ...spec.header };
  if (header["nonce"] === "$nonce") header["nonce"] = (await send(new Request(`${base}/acme/new-nonce`, { method: "HEAD" }))).headers.get("Replay-Nonce") ?? "";
  if (header["url"] === "$url") header["url"] = base + path;
  const payload = spec.payload === "" ? "" : JSON.stringify(spec.payload);
  if (spec.sign && key) {
    return JSON.stringify(await new FlattenedSign(new TextEncoder().encode(payload)).setProtectedHeader(header as never).sign(key.privateKey));
  }
  return JSON.stringify({ protected: b64urlText(JSON.stringify(header)), payload: b64urlText(payload), signature: spec.signature ?? "" });
}

/** Sends one request and returns a description of what is wrong with the answer, or null. */
export async function checkOne(send: Send, base: string, token: string, r: FuzzRequest, maxMs: number, acmeKey?: Samples["acmeKey"]): Promise<string | null> {
  const headers: Record<string, string> = { "Content-Type": r.contentType ?? "application/json" };
  if (r.auth) headers["Authorization"] = `Bearer ${r.bearer ?? token}`;
  const path = r.path.startsWith("/") ? r.path : `/${r.path}`;
  const started = Date.now();
  let res: Response;
  try {
    const body = r.jws ? await buildJws(send, base, path, r.jws, acmeKey) : (r.body ?? null);
    res = await send(new Request(base + path, { method: r.method, headers, body: r.method === "GET" || r.method === "HEAD" ? null : body }));
  } catch (e) {
    return `threw: ${e instanceof Error ? e.message : String(e)}`;
  }
  const text = await res.text();
  const elapsed = Date.now() - started;
  if (elapsed > maxMs) return `took ${elapsed} ms`;
  if (res.status >= 500) return `answered ${res.status}: ${text.slice(0, 300)}`;
  if (res.status >= 400) {
    if (!res.headers.get("Content-Type")?.startsWith("application/problem+json")) return `a ${res.status} that is not problem+json`;
    // A HEAD answer has no body to read (RFC 9110 §9.3.2).
    if (r.method === "HEAD") return null;
    let doc: { code?: unknown; type?: unknown };
    try {
      doc = JSON.parse(text) as { code?: unknown; type?: unknown };
    } catch {
      return `a ${res.status} whose body is not JSON`;
    }
    // ACME answers with RFC 8555 problem types (and a fresh nonce for the client's retry).
    if (new URL(base + path).pathname.startsWith("/acme/")) {
      const type = typeof doc.type === "string" && doc.type.startsWith(ACME_ERROR_PREFIX) ? doc.type.slice(ACME_ERROR_PREFIX.length) : "";
      if (!Object.hasOwn(ACME_ERRORS, type)) return `unknown ACME problem type ${String(doc.type)}`;
      if (!res.headers.get("Replay-Nonce")) return "an ACME problem without Replay-Nonce";
      return null;
    }
    const code = doc.code;
    if (typeof code !== "string" || !KNOWN_CODES.has(code)) return `unknown problem code ${String(code)}`;
  }
  return null;
}
