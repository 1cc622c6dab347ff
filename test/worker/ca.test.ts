/**
 * The CA as the service sees it: GET /v1/ca, /healthz, and every way CA
 * material can be misconfigured (503 with a fix-it detail, never a 500).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createRootCa } from "../../src/pki/ca-certificate.ts";
import { call, callWithEnv, expectProblem, tokens } from "./helpers.ts";

const DAY = 86_400_000;

describe("GET /v1/ca", () => {
  it("serves the trust bundle as PEM with an ETag and public caching", async () => {
    const res = await call("/v1/ca");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("application/x-pem-file");
    expect(res.headers.get("Cache-Control")).toBe("public, max-age=300");
    const etag = res.headers.get("ETag");
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    expect((await res.text()).trim()).toBe(env.TEST_ROOT_PEM.trim());
    const again = await call("/v1/ca", { headers: { "If-None-Match": etag! } });
    expect(again.status).toBe(304);
  });

  it("describes each certificate with ?format=json", async () => {
    const body = (await (await call("/v1/ca?format=json")).json()) as { certificates: { subject: string; sha256_fingerprint: string; not_after: string }[] };
    expect(body.certificates).toHaveLength(1);
    expect(body.certificates[0]!.subject).toContain("edgeca test root");
    expect(body.certificates[0]!.sha256_fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it("serves CA_TRUST (old and new roots during a rotation) when it is set", async () => {
    const other = await createRootCa({ subject: "CN=next root", keyAlgorithm: "ecdsa-p256", notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + 365 * DAY) });
    const trust = env.TEST_ROOT_PEM + other.certificatePem;
    const res = await callWithEnv({ CA_TRUST: trust }, "/v1/ca?format=json");
    const body = (await res.json()) as { certificates: { subject: string }[] };
    expect(body.certificates.map((c) => c.subject)).toEqual(["CN=edgeca test root,O=edgeca tests", "CN=next root"]);
  });
});

describe("CA misconfiguration", () => {
  const issueBody = { hostnames: ["cp.example.com"] };

  it("answers 503 ca_not_configured when CA_KEY or CA_CERT is missing", async () => {
    for (const missing of ["CA_KEY", "CA_CERT"] as const) {
      const p = await expectProblem(await callWithEnv({ [missing]: undefined }, "/v1/certificates", { token: tokens.admin, body: issueBody }), 503, "ca_not_configured");
      expect(p.detail).toContain(missing);
      expect(p.detail).toContain("ca:init");
      await expectProblem(await callWithEnv({ [missing]: undefined }, "/healthz"), 503, "ca_not_configured");
      await expectProblem(await callWithEnv({ [missing]: undefined }, "/v1/ca"), 503, "ca_not_configured");
    }
  });

  it("answers 503 ca_invalid when the key does not match the certificate", async () => {
    const other = await createRootCa({ subject: "CN=other", keyAlgorithm: "ecdsa-p256", notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + 365 * DAY) });
    const p = await expectProblem(await callWithEnv({ CA_KEY: other.privateKeyPem }, "/v1/certificates", { token: tokens.admin, body: issueBody }), 503, "ca_invalid");
    expect(p.detail).toMatch(/does not belong|not a ecdsa-p256 key/);
    expect(JSON.stringify(p)).not.toContain("PRIVATE KEY");
  });

  it("answers 503 ca_invalid when the CA has expired", async () => {
    const expired = await createRootCa({ subject: "CN=expired", keyAlgorithm: "ecdsa-p256", notBefore: new Date(Date.now() - 20 * DAY), notAfter: new Date(Date.now() - DAY) });
    const p = await expectProblem(
      await callWithEnv({ CA_CERT: expired.certificatePem, CA_KEY: expired.privateKeyPem }, "/v1/certificates", { token: tokens.admin, body: issueBody }),
      503,
      "ca_invalid",
    );
    expect(p.detail).toContain("expired");
    await expectProblem(await callWithEnv({ CA_CERT: expired.certificatePem, CA_KEY: expired.privateKeyPem }, "/healthz"), 503, "ca_invalid");
  });

  it.each([
    ["garbage in CA_CERT", { CA_CERT: "not a pem" }, /CA_CERT/],
    ["a non-PKCS#8 key", { CA_KEY: "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n" }, /PKCS#8/],
    ["an intermediate without its root and no CA_TRUST", { CA_CERT: "INTERMEDIATE_ONLY" }, /CA_TRUST/],
  ])("answers 503 ca_invalid for %s", async (_what, overrides, detail) => {
    const o = { ...overrides } as Record<string, string>;
    if (o["CA_CERT"] === "INTERMEDIATE_ONLY") o["CA_CERT"] = env.TEST_INTERMEDIATE_PEM;
    const p = await expectProblem(await callWithEnv(o, "/v1/certificates", { token: tokens.admin, body: issueBody }), 503, "ca_invalid");
    expect(p.detail).toMatch(detail);
  });

  it("answers 503 ca_invalid when the issuing certificate is not a CA", async () => {
    const leaf = (await (await call("/v1/certificates", { token: tokens.admin, body: issueBody })).json()) as { certificate: string; private_key: string; ca: string };
    const p = await expectProblem(
      await callWithEnv({ CA_CERT: leaf.certificate + leaf.ca, CA_KEY: leaf.private_key }, "/v1/certificates", { token: tokens.admin, body: issueBody }),
      503,
      "ca_invalid",
    );
    expect(p.detail).toContain("basicConstraints CA:TRUE");
  });

  it("answers 503 config_invalid when two tokens share a name (names key the ledger and idempotency)", async () => {
    const entries = JSON.parse(env.API_TOKENS!) as { name: string }[];
    const dup = JSON.stringify([...entries, { ...entries[1]!, name: entries[0]!.name }]);
    const p = await expectProblem(await callWithEnv({ API_TOKENS: dup }, "/v1/certificates", { token: tokens.admin, body: issueBody }), 503, "config_invalid");
    expect(p.detail).toContain("unique");
  });

  it("answers 503 config_invalid when API_TOKENS is malformed, without echoing it", async () => {
    const p = await expectProblem(await callWithEnv({ API_TOKENS: "[{]" }, "/v1/certificates", { token: tokens.admin, body: issueBody }), 503, "config_invalid");
    expect(p.detail).toContain("API_TOKENS");
  });
});
