import { describe, expect, it } from "vitest";
import { describeNameProblem, formatIpAddress, normalizeName, normalizeNames, parseIpAddress } from "../../src/pki/names.ts";
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
    ["a b.example.com", "forbidden_character"],
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

describe("names refused before conversion, with a message naming the fix (issue 21 #5, issue 20)", () => {
  const message = (input: string): string => {
    const r = normalizeName(input);
    if (r.ok) throw new Error(`${JSON.stringify(input)} was accepted as ${r.value.value}`);
    return describeNameProblem(r.error);
  };

  it.each([
    ["https://cp.example.com", '"https://cp.example.com" is a URL; send the host name alone: "cp.example.com"'],
    ["grpcs://cp.example.com:5685", '"grpcs://cp.example.com:5685" is a URL; send the host name alone: "cp.example.com"'],
    ["https://cp.example.com/", '"https://cp.example.com/" is a URL; send the host name alone: "cp.example.com"'],
    ["https://admin@cp.example.com:8443/x?y#z", '"https://admin@cp.example.com:8443/x?y#z" is a URL; send the host name alone: "cp.example.com"'],
    ["cp.example.com:5678", '"cp.example.com:5678" has a port (":5678"); a certificate names hosts, not ports: remove it; send the host name alone: "cp.example.com"'],
    ["10.0.0.5:443", '"10.0.0.5:443" has a port (":443"); a certificate names hosts, not ports: remove it; send the host name alone: "10.0.0.5"'],
    ["[2001:db8::1]:443", '"[2001:db8::1]:443" has a port (":443"); a certificate names hosts, not ports: remove it; send the host name alone: "2001:db8::1"'],
    ["cp.example.com/", '"cp.example.com/" ends in "/": remove it; send the host name alone: "cp.example.com"'],
    ["cp.example.com/kds", '"cp.example.com/kds" has a path ("/kds"): remove it; send the host name alone: "cp.example.com"'],
  ])("%s → %s", (input, expected) => {
    expect(message(input)).toBe(expected);
  });

  it.each([
    // The review's reproductions: the URL parser made these victim.example.net and x.zone-a…
    ["ü@victim.example.net/x.zone-a.mesh.example.com", "@", '"@" (U+0040), which is URL syntax'],
    ["x\u200b.zone-a.mesh.example.com", "\u200b", "U+200B, which internationalized-name mapping (UTS #46) would drop or turn into a dot"],
    ["a\\b.example.com", "\\", '"\\\\" (U+005C), which is URL syntax'],
    ["a?b.example.com", "?", '"?" (U+003F)'],
    ["a#b.example.com", "#", '"#" (U+0023)'],
    ["a%2eb.example.com", "%", '"%" (U+0025)'],
    ["a:b.example.com", ":", '":" (U+003A)'],
    ["a b.example.com", " ", "a space (U+0020), which no host name contains: remove the white space"],
    [" cp.example.com", " ", "a space (U+0020)"],
    ["cp.example.com\n", "\n", "U+000A"],
    ["a\tb.example.com", "\t", "U+0009"],
    ["a\u00a0b.example.com", "\u00a0", "U+00A0"],
    ["a\u00adb.example.com", "\u00ad", "U+00AD, which internationalized-name mapping"],
    ["a\ufe0fb.example.com", "\ufe0f", "U+FE0F"],
    ["a\u2060b.example.com", "\u2060", "U+2060"],
    ["a\u3002example.com", "\u3002", "U+3002, which internationalized-name mapping (UTS #46) would drop or turn into a dot"],
    ["a\uff0eexample.com", "\uff0e", "U+FF0E"],
  ])("refuses %j naming the character %j", (input, character, text) => {
    const r = normalizeName(input);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatchObject({ reason: "forbidden_character", character });
    expect(describeNameProblem(r.error)).toContain(text);
    expect(describeNameProblem(r.error)).toContain(JSON.stringify(input));
  });

  it("still accepts internationalized names, IPv6 literals and their brackets", () => {
    for (const [input, value] of [["bücher.example", "xn--bcher-kva.example"], ["BÜCHER.example", "xn--bcher-kva.example"], ["[::1]", "::1"], ["2001:db8::1", "2001:db8::1"], ["ß.example", "xn--zca.example"]]) {
      const r = normalizeName(input!);
      expect(r.ok && r.value.value).toBe(value);
    }
    // A zone id stays "malformed", as before: "%" is part of the IPv6 attempt.
    expect(!normalizeName("fe80::1%eth0").ok && (normalizeName("fe80::1%eth0") as { error: { reason: string } }).error.reason).toBe("ip_invalid");
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
