import { describe, expect, it } from "vitest";
import { formatIpAddress, normalizeName, normalizeNames, parseIpAddress } from "../../src/pki/names.ts";
import { compileNamePolicy } from "../../src/pki/name-policy.ts";
import { formatDuration, parseDuration } from "../../src/pki/duration.ts";

describe("normalizeName (RFC 5280 §4.2.1.6, RFC 1034 §3.5, RFC 5890)", () => {
  it.each([
    ["CP.Example.COM.", "dns", "cp.example.com"],
    ["localhost", "dns", "localhost"],
    ["*.mesh.example.com", "dns", "*.mesh.example.com"],
    ["bücher.example", "dns", "xn--bcher-kva.example"],
    ["*.Bücher.example.com", "dns", "*.xn--bcher-kva.example.com"],
    ["10.0.0.5", "ip", "10.0.0.5"],
    ["2001:DB8:0:0:0:0:0:1", "ip", "2001:db8::1"],
    ["[::1]", "ip", "::1"],
    ["::ffff:192.0.2.1", "ip", "192.0.2.1"],
    ["::ffff:c000:201", "ip", "192.0.2.1"],
    ["2001:db8:0:1:0:0:0:0", "ip", "2001:db8:0:1::"],
    ["2001:0:0:1:0:0:0:1", "ip", "2001:0:0:1::1"],
  ])("accepts %s as %s %s", (input, kind, value) => {
    const r = normalizeName(input);
    expect(r.ok && r.value).toMatchObject({ kind, value });
  });

  it.each([
    ["", "empty"],
    ["*.com", "wildcard_too_broad"],
    ["*", "wildcard_too_broad"],
    ["f*o.example.com", "wildcard_position"],
    ["*.*.example.com", "wildcard_position"],
    ["a.*.example.com", "wildcard_position"],
    ["a..b.com", "label_empty"],
    [".example.com", "label_empty"],
    ["-a.example.com", "label_hyphen_position"],
    ["a-.example.com", "label_hyphen_position"],
    ["a_b.example.com", "label_invalid_characters"],
    ["a b.example.com", "label_invalid_characters"],
    [`${"a".repeat(64)}.com`, "label_too_long"],
    [`${"a.".repeat(127)}com`, "too_long"],
    ["example.123", "numeric_tld"],
    ["1.2.3", "ip_invalid"],
    ["010.0.0.1", "ip_invalid"],
    ["256.0.0.1", "ip_invalid"],
    ["1:2:3:4:5:6:7:8:9", "ip_invalid"],
    ["1::2::3", "ip_invalid"],
    ["fe80::1%eth0", "ip_invalid"],
  ])("rejects %j (%s)", (input, reason) => {
    const r = normalizeName(input);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.reason).toBe(reason);
  });

  it("removes duplicates after normalization and reports every bad name", () => {
    const r = normalizeNames(["A.example.com", "a.example.com.", "::1", "0:0::1"]);
    expect(r.ok && r.value.map((n) => n.value)).toEqual(["a.example.com", "::1"]);
    const bad = normalizeNames(["ok.example.com", "*.com", "a..b"]);
    expect(!bad.ok && bad.error.map((p) => p.name)).toEqual(["*.com", "a..b"]);
  });

  it("round-trips IPv6 through parse and canonical format (RFC 5952 §4)", () => {
    for (const ip of ["::", "::1", "1::", "2001:db8::1:0:0:1", "fe80::1:2:3:4", "1:2:3:4:5:6:7:8"]) {
      expect(formatIpAddress(parseIpAddress(ip)!)).toBe(ip);
    }
  });
});

describe("NamePolicy", () => {
  const policy = compileNamePolicy(["cp.example.com", "*.zone-a.example.com", ".internal.example.com", "10.0.0.0/8", "fd00::/8", "192.0.2.7"]);
  if (!policy.ok) throw new Error("policy");
  const allowed = (name: string) => {
    const n = normalizeName(name);
    if (!n.ok) throw new Error(name);
    return policy.value.disallowed([n.value]).length === 0;
  };
  it.each([
    ["cp.example.com", true],
    ["CP.example.com.", true],
    ["x.cp.example.com", false],
    ["a.zone-a.example.com", true],
    ["*.zone-a.example.com", true],
    ["a.b.zone-a.example.com", false],
    ["zone-a.example.com", false],
    ["a.internal.example.com", true],
    ["a.b.c.internal.example.com", true],
    ["*.b.internal.example.com", true],
    ["internal.example.com", false],
    ["notinternal.example.com", false],
    ["10.255.0.1", true],
    ["11.0.0.1", false],
    ["fd12::1", true],
    ["fe80::1", false],
    ["192.0.2.7", true],
    ["192.0.2.8", false],
  ])("%s allowed: %s", (name, expected) => {
    expect(allowed(name)).toBe(expected);
  });
  it.each(["*", "0.0.0.0/0"])("accepts the pattern %s", (p) => expect(compileNamePolicy([p]).ok).toBe(true));
  it.each(["10.0.0.0/33", "*.com", "a..b", "10.0.0.0/x", ".*.example.com"])("rejects the pattern %s", (p) => expect(compileNamePolicy([p]).ok).toBe(false));
});

describe("durations", () => {
  it.each([
    ["90d", 90 * 86400],
    ["720h", 720 * 3600],
    ["1d12h", 36 * 3600],
    ["45m", 2700],
    ["30s", 30],
  ])("accepts %s", (text, seconds) => expect(parseDuration(text)).toEqual({ ok: true, value: seconds }));
  it.each(["", "0d", "90", "d", "1.5d", "-1d", "1w", "90 d", "9999999999d"])("rejects %j", (text) => expect(parseDuration(text).ok).toBe(false));
  it("formats with the largest exact unit", () => {
    expect([formatDuration(397 * 86400), formatDuration(36 * 3600), formatDuration(90)]).toEqual(["397d", "36h", "90s"]);
  });
});
