import { describe, expect, it } from "vitest";
import { decodePem, encodePem } from "../../src/pki/pem.ts";

describe("PEM (RFC 7468)", () => {
  it("round-trips DER through encodePem/decodePem", () => {
    const der = new Uint8Array(200).map((_, i) => i);
    const pem = encodePem("CERTIFICATE", der);
    expect(pem.split("\n")[1]).toHaveLength(64);
    const r = decodePem(pem);
    expect(r.ok && r.value[0]!.der).toEqual(der);
  });
  it.each([
    ["", "no_pem_block"],
    ["MIIB", "no_pem_block"],
    ["-----BEGIN CERTIFICATE-----\nAAAA\n", "unterminated_block"],
    ["-----BEGIN CERTIFICATE-----\nAAAA\n-----END PRIVATE KEY-----\n", "label_mismatch"],
    ["-----BEGIN CERTIFICATE-----\nA*AA\n-----END CERTIFICATE-----\n", "invalid_base64"],
    ["-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n", "empty_block"],
  ])("rejects %j with %s", (text, reason) => {
    const r = decodePem(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.reason).toBe(reason);
  });
  it("names the failing block by index", () => {
    const good = encodePem("CERTIFICATE", new Uint8Array([1, 2, 3]));
    const r = decodePem(good + "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ reason: "invalid_base64", index: 1 });
  });
});
