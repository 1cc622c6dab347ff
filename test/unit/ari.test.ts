import { describe, expect, it } from "vitest";
import { fromHex } from "../../src/pki/bytes.ts";
import { formatCertId, parseCertId, renewalWindow } from "../../src/pki/ari.ts";

// RFC 9773 §4.1's example: AKI keyIdentifier 69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:A0:AE:2C:DE:01:C8:D4, serial 00:87:65:43:21.
const AKI = fromHex("69885B6B87464041E1B37B847BA0AE2CDE01C8D4");
const EXAMPLE = "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE";

describe("certID (RFC 9773 §4.1)", () => {
  it("formats RFC 9773's example, adding the DER sign octet to a serial whose top bit is set", () => {
    expect(formatCertId(AKI, "87654321")).toBe(EXAMPLE);
    expect(formatCertId(AKI, "0087654321")).toBe(EXAMPLE);
  });

  it("parses RFC 9773's example back to the key identifier and the ledger's serial", () => {
    const r = parseCertId(EXAMPLE);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(Array.from(r.value.keyIdentifier)).toEqual(Array.from(AKI));
    expect(Array.from(r.value.serialDer)).toEqual([0x00, 0x87, 0x65, 0x43, 0x21]);
    expect(r.value.serialHex).toBe("87654321".padStart(32, "0"));
  });

  it("round-trips edgeca's 16-octet serials, with and without the sign octet", () => {
    for (const hex of ["7f".repeat(16), "80".repeat(16), "01" + "00".repeat(15), "0a" + "ff".repeat(15)]) {
      const id = formatCertId(AKI, hex);
      const r = parseCertId(id);
      expect(r.ok && r.value.serialHex).toBe(hex);
      expect(r.ok && r.value.serialDer[0]! >= 0x80).toBe(false);
    }
  });

  it.each([
    ["no dot", "aYhba4dGQEHhs3uEe6CuLN4ByNQAIdlQyE", "shape"],
    ["two dots", `${EXAMPLE}.AA`, "shape"],
    ["empty key identifier", ".AIdlQyE", "shape"],
    ["empty serial", "aYhba4dGQEHhs3uEe6CuLN4ByNQ.", "shape"],
    ["padding", "aYhba4dGQEHhs3uEe6CuLN4ByNQ=.AIdlQyE", "base64url"],
    ["standard base64 alphabet", "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AId+QyE", "base64url"],
    ["non-canonical trailing bits", "aYhba4dGQEHhs3uEe6CuLN4ByNR.AIdlQyE", "base64url"],
    ["a length no base64 has", "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQ", "base64url"],
    ["a negative serial (no sign octet)", "aYhba4dGQEHhs3uEe6CuLN4ByNQ.h2VDIQ", "serial_not_der"],
    ["a redundant leading zero", "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AABlQyE", "serial_not_der"],
    ["a zero serial", "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AA", "serial_not_der"],
    ["a serial over 21 octets", `aYhba4dGQEHhs3uEe6CuLN4ByNQ.${"AQ" + "A".repeat(28)}`, "serial_not_der"],
    ["a key identifier over 64 octets", `${"A".repeat(88)}.AIdlQyE`, "key_identifier_length"],
  ])("rejects %s", (_, text, reason) => {
    const r = parseCertId(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.reason).toBe(reason);
  });
});

describe("renewalWindow (RFC 9773 §4.2)", () => {
  const notBefore = new Date("2026-01-01T00:00:00Z");
  const notAfter = new Date("2026-01-31T00:00:00Z");
  const now = new Date("2026-01-05T12:34:56.789Z");

  it("is the last third of the lifetime by default", () => {
    const w = renewalWindow({ notBefore, notAfter, revoked: false, issuedByPreviousCa: false, now });
    expect(w.start.toISOString()).toBe("2026-01-21T00:00:00.000Z");
    expect(w.end.toISOString()).toBe("2026-01-31T00:00:00.000Z");
    expect(w.reason).toBe("lifetime");
  });

  it.each([
    ["revoked", true, false],
    ["issued by the previous CA", false, true],
  ])("moves into the past when %s: start now−2h, end now−1h (end > start)", (_, revoked, issuedByPreviousCa) => {
    const w = renewalWindow({ notBefore, notAfter, revoked, issuedByPreviousCa, now });
    expect(w.start.toISOString()).toBe("2026-01-05T10:34:56.000Z");
    expect(w.end.toISOString()).toBe("2026-01-05T11:34:56.000Z");
    expect(w.end.getTime()).toBeGreaterThan(w.start.getTime());
    expect(w.end.getTime()).toBeLessThan(now.getTime());
    expect(w.reason).toBe(revoked ? "revoked" : "previous_ca");
  });
});
