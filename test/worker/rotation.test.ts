/**
 * Rotation routes inside workerd: GET /v1/ca/status, the /healthz warnings,
 * per-issuer CRLs (GET /v1/crl?issuer=), and each misconfiguration of the
 * previous CA or the bundle giving 503 ca_invalid or a warning.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createRootCa, type CaKeyAndCertificate } from "../../src/pki/ca-certificate.ts";
import type { CaStatusReport } from "../../src/pki/ca-status.ts";
import { x509 } from "../../src/pki/x509.ts";
import { call, callWithEnv, expectProblem, tokens, type IssuedJson } from "./helpers.ts";

const DAY = 86_400_000;
let previous: CaKeyAndCertificate;
let previousFp: string;

async function sha256(pem: string): Promise<string> {
  const der = new x509.X509Certificate(pem).rawData;
  return [...new Uint8Array(await crypto.subtle.digest("SHA-256", der))].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The switch phase with the previous CA being a single root (P): both roots served. */
const withPrevious = () => ({ CA_TRUST: env.TEST_ROOT_PEM + previous.certificatePem, CA_PREVIOUS_CERT: previous.certificatePem, CA_PREVIOUS_KEY: previous.privateKeyPem });

beforeAll(async () => {
  previous = await createRootCa({ subject: "CN=edgeca previous CA", keyAlgorithm: "ecdsa-p256", notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + 365 * DAY) });
  previousFp = await sha256(previous.certificatePem);
});

describe("GET /v1/ca/status", () => {
  const status = async (query = "") => (await (await call(`/v1/ca/status${query}`, { token: tokens.reader })).json()) as CaStatusReport;

  it("needs a token with scope read", async () => {
    await expectProblem(await call("/v1/ca/status"), 401, "unauthorized");
    await expectProblem(await call("/v1/ca/status", { token: tokens.zoneA }), 403, "insufficient_scope");
  });

  it("counts the issuing CA's active certificates, and none at a time after they expire", async () => {
    const before = (await status()).cas.find((c) => c.role === "issuing")!;
    const res = await call("/v1/certificates", { token: tokens.admin, body: { hostnames: ["status.example.com"], ttl: "1d" } });
    expect(res.status).toBe(201);
    const after = await status();
    const issuing = after.cas.find((c) => c.role === "issuing")!;
    expect(issuing).toMatchObject({ active_certificates: before.active_certificates + 1, renewed_certificates: 0, safe_to_retire: false, reason: "it is the issuing CA (CA_CERT)" });
    expect(after.cas.find((c) => c.role === "trust_anchor")).toMatchObject({ served: true, safe_to_retire: false, reason: "the issuing CA chains to it" });
    expect(after).toMatchObject({ previous: null, validity_limit: "refuse", retire: { safe: true, blocking: [] }, warnings: [] });
    const later = await status("?at=2040-01-01T00:00:00Z");
    expect(later.at).toBe("2040-01-01T00:00:00.000Z");
    expect(later.cas.find((c) => c.role === "issuing")!.active_certificates).toBe(0);
  });

  it("rejects an `at` that is not an RFC 3339 time", async () => {
    const p = await expectProblem(await call("/v1/ca/status?at=tomorrow", { token: tokens.reader }), 400, "validation_failed");
    expect(p.errors).toEqual([{ pointer: "at", detail: "an RFC 3339 time" }]);
  });

  it("with a previous CA: reports it, warns that nothing depends on it, and /healthz says so with 200", async () => {
    const res = await callWithEnv(withPrevious(), "/v1/ca/status", { token: tokens.reader });
    const body = (await res.json()) as CaStatusReport;
    expect(body.previous).toBe(previousFp);
    expect(body.cas.find((c) => c.sha256_fingerprint === previousFp)).toMatchObject({ role: "previous", served: true, active_certificates: 0, safe_to_retire: true, reason: null });
    expect(body.warnings.map((w) => w.code)).toEqual(["previous_unused"]);
    const health = await callWithEnv(withPrevious(), "/healthz");
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ previous_ca: { subject: "CN=edgeca previous CA", sha256_fingerprint: previousFp }, warnings: [{ code: "previous_unused" }] });
  });

  it("warns when the issuing CA expires within MAX_TTL (such requests are refused)", async () => {
    const health = await callWithEnv({ MAX_TTL: "3650d" }, "/healthz");
    expect(health.status).toBe(200);
    const body = (await health.json()) as { warnings: { code: string; message: string }[] };
    expect(body.warnings.map((w) => w.code)).toEqual(["issuing_ca_expires_soon"]);
    expect(body.warnings[0]!.message).toMatch(/refused with ca_validity_exceeded/);
  });
});

describe("GET /v1/crl?issuer=", () => {
  it("serves the issuing CA's CRL by its fingerprint, the previous CA's while configured, 404 for others, 400 for junk", async () => {
    const issuingFp = await sha256(env.TEST_INTERMEDIATE_PEM);
    const own = new x509.X509Crl(new Uint8Array(await (await call(`/v1/crl?issuer=${issuingFp.toUpperCase()}`)).arrayBuffer()));
    expect(own.issuer).toContain("edgeca test issuing CA");

    const res = await callWithEnv(withPrevious(), `/v1/crl?issuer=${previousFp}`);
    expect(res.status).toBe(200);
    const crl = new x509.X509Crl(new Uint8Array(await res.arrayBuffer()));
    expect(crl.issuer).toBe("CN=edgeca previous CA");
    expect(await crl.verify({ publicKey: previous.certificate.publicKey })).toBe(true);

    await expectProblem(await call(`/v1/crl?issuer=${previousFp}`), 404, "not_found");
    await expectProblem(await call("/v1/crl?issuer=abc"), 400, "validation_failed");
  });
});

describe("Idempotency-Key across a rotation's switch", () => {
  it("replays a certificate of the previous CA with that CA's chain (not the new issuing CA's), and today's trust bundle", async () => {
    const key = `switch-${crypto.randomUUID()}`;
    const body = { hostnames: ["replay-switch.example.com"], ttl: "1d" };
    const first = await call("/v1/certificates", { token: tokens.admin, body, headers: { "Idempotency-Key": key } });
    expect(first.status).toBe(201);
    const original = (await first.json()) as IssuedJson;
    expect(original.chain).toBe(original.certificate + env.TEST_INTERMEDIATE_PEM);

    // Switch: the previous root P becomes the issuing CA, the test CA moves to CA_PREVIOUS_*; both roots served.
    const switched = { CA_CERT: previous.certificatePem, CA_KEY: previous.privateKeyPem, CA_PREVIOUS_CERT: env.CA_CERT!, CA_PREVIOUS_KEY: env.CA_KEY!, CA_TRUST: env.TEST_ROOT_PEM + previous.certificatePem };
    const again = await callWithEnv(switched, "/v1/certificates", { token: tokens.admin, body, headers: { "Idempotency-Key": key } });
    expect(again.status).toBe(201);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    const replayed = (await again.json()) as IssuedJson;
    expect(replayed.serial_number).toBe(original.serial_number);
    expect(replayed.private_key).toBe(original.private_key);
    // tls.crt must still verify: the leaf with the intermediate that signed it.
    expect(replayed.chain).toBe(original.certificate + env.TEST_INTERMEDIATE_PEM);
    expect(replayed.ca).toBe(env.TEST_ROOT_PEM + previous.certificatePem);

    // Retired (the old CA gone from the configuration): no chain to send, so no replay; a new key gets a new certificate.
    const retired = { CA_CERT: previous.certificatePem, CA_KEY: previous.privateKeyPem, CA_TRUST: previous.certificatePem };
    const p = await expectProblem(await callWithEnv(retired, "/v1/certificates", { token: tokens.admin, body, headers: { "Idempotency-Key": key } }), 422, "idempotency_key_reused");
    expect(p.detail).toContain("signed by a CA that is no longer configured");
  });
});

describe("rotation misconfigurations", () => {
  it("rejects CA_PREVIOUS_KEY that does not match CA_PREVIOUS_CERT with 503 ca_invalid", async () => {
    const p = await expectProblem(await callWithEnv({ ...withPrevious(), CA_PREVIOUS_KEY: env.CA_KEY }, "/healthz"), 503, "ca_invalid");
    expect(p.detail).toMatch(/^CA_PREVIOUS_KEY does not belong to the first certificate in CA_PREVIOUS_CERT/);
    expect(p.detail).not.toContain("PRIVATE KEY-----");
  });

  it("rejects a bundle that does not contain the issuing CA's root with 503 ca_invalid", async () => {
    const p = await expectProblem(await callWithEnv({ ...withPrevious(), CA_TRUST: previous.certificatePem }, "/v1/ca"), 503, "ca_invalid");
    expect(p.detail).toMatch(/does not lead to any certificate in CA_TRUST/);
  });

  it("rejects two issuing CAs with the same subject and key identifier with 503 ca_invalid", async () => {
    const p = await expectProblem(await callWithEnv({ CA_PREVIOUS_CERT: env.TEST_INTERMEDIATE_PEM, CA_PREVIOUS_KEY: env.CA_KEY }, "/healthz"), 503, "ca_invalid");
    expect(p.detail).toMatch(/same subject \(CN=edgeca test issuing CA,O=edgeca tests\) and key identifier/);
  });

  it("warns about a half-removed previous CA (200, ignored)", async () => {
    const res = await callWithEnv({ CA_PREVIOUS_CERT: previous.certificatePem }, "/healthz");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ previous_ca: null, warnings: [{ code: "previous_incomplete" }] });
  });
});
