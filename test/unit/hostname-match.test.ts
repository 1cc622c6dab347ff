import { describe, expect, it } from "vitest";
import { ipEqual, matchDnsName, matchHostname, parseReferenceIdentifier } from "../../src/pki/hostname-match.ts";
import { parseIpAddress } from "../../src/pki/names.ts";

const ip = (t: string) => parseIpAddress(t)!;

describe("DNS identifier matching (RFC 6125 as Go's VerifyHostname does it)", () => {
  it.each([
    ["cp.example.com", "cp.example.com", "exact match (RFC 6125 §6.4.1)"],
    ["CP.Example.COM", "cp.example.com", "case-insensitive (RFC 6125 §6.4.1)"],
    ["*.mesh.example.com", "zone1.mesh.example.com", "wildcard matches one left-most label (RFC 6125 §6.4.3)"],
    ["*.mesh.example.com", "zone1.mesh.example.com.", "a trailing dot on the reference is ignored"],
    ["cp.example.com.", "cp.example.com.", "a SAN with a trailing dot matches the same text exactly (Go matchExactly)"],
    ["*", "localhost", "Go: a bare wildcard is a valid pattern and matches one label"],
    ["bad host!", "bad host!", "an invalid reference matches a SAN spelled exactly like it"],
    ["_svc.example.com", "_svc.example.com", "Go allows underscores"],
  ])("accepts SAN %j for %j: %s", (san, host) => {
    expect(matchDnsName(san, host)).toBe(true);
  });
  it.each([
    ["*.mesh.example.com", "a.b.mesh.example.com", "wildcard matches exactly one label (RFC 6125 §6.4.3)"],
    ["*.mesh.example.com", "mesh.example.com", "wildcard does not match the empty label"],
    ["f*o.example.com", "foo.example.com", "no partial-label wildcards (RFC 6125 §6.4.3)"],
    ["a.*.example.com", "a.b.example.com", "wildcard only in the left-most label (RFC 6125 §6.4.3)"],
    ["cp.example.com.", "cp.example.com", "a SAN with a trailing dot is not a valid pattern, so it only matches exactly (issue 16)"],
    ["*", "a.b", "a bare wildcard matches one label only"],
    ["-a.example.com", "a.example.com", "no fuzzy matching of invalid patterns"],
    ["example.com", "badexample.com", "no suffix matching"],
    ["", "example.com", "empty SAN"],
  ])("rejects SAN %j for %j: %s", (san, host) => {
    expect(matchDnsName(san, host)).toBe(false);
  });
});

describe("reference identifiers", () => {
  it.each([
    ["cp.example.com.", { kind: "dns", name: "cp.example.com.", valid: true }],
    ["CP.EXAMPLE.COM", { kind: "dns", name: "cp.example.com", valid: true }],
    ["bad host!", { kind: "dns", name: "bad host!", valid: false }],
    ["a..b", { kind: "dns", name: "a..b", valid: false }],
    [".", { kind: "dns", name: ".", valid: false }],
    ["-a.example.com", { kind: "dns", valid: false }],
    ["10.1.2.3", { kind: "ip", text: "10.1.2.3" }],
    ["[2001:DB8::1]", { kind: "ip", text: "2001:db8::1" }],
  ])("accepts %j", (input, expected) => {
    expect(parseReferenceIdentifier(input)).toMatchObject(expected);
  });
  it.each([[""]])("rejects %j", (input) => {
    expect(parseReferenceIdentifier(input)).toBeNull();
  });
});

describe("matchHostname (RFC 6125 §6.4, Go VerifyHostname)", () => {
  const san = { dns: ["cp.example.com", "*.mesh.example.com", "10.9.8.7"], ip: [ip("10.1.2.3"), ip("2001:db8::1")] };
  it.each([
    ["cp.example.com"],
    ["x.mesh.example.com"],
    ["10.1.2.3"],
    ["::ffff:10.1.2.3"],
    ["2001:db8:0::1"],
  ])("accepts %j", (host) => {
    expect(matchHostname(parseReferenceIdentifier(host)!, san).matched).toBe(true);
  });
  it.each([
    ["10.9.8.7", "ip_not_in_san", "IP literals only match iPAddress SANs (RFC 6125 §6.2.1)"],
    ["10.1.2.4", "ip_not_in_san", "another address"],
    ["other.example.com", "dns_not_in_san", "another name"],
  ])("rejects %j with %s: %s", (host, reason) => {
    expect(matchHostname(parseReferenceIdentifier(host)!, san)).toEqual({ matched: false, reason });
  });
  it("rejects any name when there is no SAN (the CN is ignored, RFC 6125 §6.4.4 / Go ≥ 1.15)", () => {
    expect(matchHostname(parseReferenceIdentifier("cp.example.com")!, undefined)).toEqual({ matched: false, reason: "no_san" });
  });
  it("accepts IPv4 and IPv4-mapped IPv6 as equal, like Go's net.IP.Equal", () => {
    expect(ipEqual(ip("10.1.2.3"), ip("::ffff:10.1.2.3"))).toBe(true);
    expect(ipEqual(ip("10.1.2.3"), ip("::10.1.2.3"))).toBe(false);
  });
});
