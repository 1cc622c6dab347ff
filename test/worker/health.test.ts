import { env, exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

describe("GET /healthz", () => {
  it("reports the CA fingerprint and expiry", async () => {
    const res = await exports.default.fetch("http://edgeca.test/healthz");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; ca: { subject: string; sha256_fingerprint: string } };
    expect(body.ca.subject).toContain("edgeca test issuing CA");
    expect(body.status).toBe("ok");
    expect(body.ca.sha256_fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(env.TEST_ROOT_PEM).toContain("BEGIN CERTIFICATE");
  });
});

describe("GET /healthz profile findings", () => {
  it("lists no RFC 5280 §4 profile finding for the test CA material (edgeca's own CA certificates conform)", async () => {
    const res = await exports.default.fetch("http://edgeca.test/healthz");
    const body = (await res.json()) as { profile_findings: unknown[] };
    expect(body.profile_findings).toEqual([]);
  });
});
