import { describe, expect, it } from "vitest";
import { checkReplaces, ownedByPrincipal } from "../../src/authority/replaces.ts";
import type { CertificateRecord, Principal } from "../../src/store/types.ts";

function rec(over: Partial<CertificateRecord>): CertificateRecord {
  return {
    serial: "01".repeat(16), sha256_fingerprint: "f", pem: "", hostnames: ["cp.example.com", "10.0.0.1"], usage: ["server"], key_algorithm: "ecdsa-p256", key_source: "csr",
    not_before: "2026-01-01T00:00:00Z", not_after: "2026-02-01T00:00:00Z", issuer_fingerprint: "i", token_name: "ci", principal_subject: null, request_id: "r", created_at: "2026-01-01T00:00:00Z",
    revoked_at: null, revocation_reason: null, renewed_by: null, renewed_at: null, ...over,
  };
}

const principal = (name: string, subject?: string): Principal => ({ name, scopes: new Set(["issue"]), policy: {} as Principal["policy"], maxTtlSeconds: undefined, subject });

describe("checkReplaces (RFC 9773 §5)", () => {
  const lookup = (record: CertificateRecord | null, owner: Principal) => ({ find: async () => record, owns: ownedByPrincipal(owner) });

  it("accepts the caller's own certificate that shares one name", async () => {
    const r = await checkReplaces("01".repeat(16), ["cp.example.com", "new.example.com"], lookup(rec({}), principal("ci")));
    expect(r.ok).toBe(true);
  });

  it.each([
    ["an unknown serial", null, principal("ci"), ["cp.example.com"], "not_found"],
    ["another token's certificate", rec({ token_name: "other" }), principal("ci"), ["cp.example.com"], "not_owner"],
    ["an API token's certificate to an OIDC caller of a policy with the same name", rec({}), principal("ci", "repo:org/x"), ["cp.example.com"], "not_owner"],
    ["another OIDC sub's certificate under the same trust policy", rec({ principal_subject: "repo:org/a" }), principal("ci", "repo:org/b"), ["cp.example.com"], "not_owner"],
    ["a certificate sharing no name (IPs compared canonically as stored)", rec({}), principal("ci"), ["10.0.0.2", "other.example.com"], "no_shared_identifier"],
    ["a certificate already renewed", rec({ renewed_by: "02".repeat(16) }), principal("ci"), ["10.0.0.1"], "already_replaced"],
  ] as const)("rejects %s", async (_, record, owner, names, reason) => {
    const r = await checkReplaces("01".repeat(16), names, lookup(record, owner));
    expect(r.ok ? null : r.error.reason).toBe(reason);
  });

  it("accepts the same OIDC sub under the same trust policy", async () => {
    const r = await checkReplaces("01".repeat(16), ["cp.example.com"], lookup(rec({ principal_subject: "repo:org/a" }), principal("ci", "repo:org/a")));
    expect(r.ok).toBe(true);
  });
});
