/**
 * Exhaustive tests of the hand-written DER writer (src/pki/der-writer.ts),
 * checked against fixed encodings from X.690 and against the independent
 * strict reader of the path validator (src/pki/path-validation/der.ts).
 */
import { describe, expect, it } from "vitest";
import { toHex } from "../../src/pki/bytes.ts";
import {
  DER,
  DerWriter,
  ecdsaSignatureToDer,
  encodeLength,
  encodeOid,
  encodeOidContent,
  encodeTimeContent,
  isPrintableString,
  lengthSize,
  unsignedIntegerContent,
} from "../../src/pki/der-writer.ts";
import { children, encodeTlv, readIntegerBytes, readOid, readRoot, readTime, readTlv, TAG } from "../../src/pki/path-validation/der.ts";
import { rng } from "../helpers/rng.ts";

const hex = (s: string) => Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));


describe("DER lengths (X.690 §8.1.3, §10.1)", () => {
  it.each([
    [0, "00"],
    [1, "01"],
    [127, "7f"],
    [128, "8180"],
    [255, "81ff"],
    [256, "820100"],
    [65535, "82ffff"],
    [65536, "83010000"],
    [16777215, "83ffffff"],
    [16777216, "8401000000"],
  ])("encodes %i as the minimal form %s", (n, expected) => {
    expect(toHex(encodeLength(n))).toBe(expected);
    expect(lengthSize(n)).toBe(expected.length / 2);
  });

  it("rejects negative and fractional lengths", () => {
    expect(() => encodeLength(-1)).toThrow(RangeError);
    expect(() => encodeLength(1.5)).toThrow(RangeError);
  });

  it.each([0, 1, 127, 128, 129, 255, 256, 257, 1000, 65535, 65536, 70000])("writes a constructed element of %i content octets that the strict reader accepts", (n) => {
    const w = new DerWriter(4);
    const seq = w.start(DER.SEQUENCE);
    w.raw(new Uint8Array(n).fill(0x5a));
    const out = w.end(seq).finish();
    const tlv = readRoot(out, TAG.SEQUENCE);
    expect(tlv.end - tlv.valueStart).toBe(n);
    expect(toHex(out.subarray(1, tlv.valueStart))).toBe(toHex(encodeLength(n)));
    expect(out.subarray(tlv.valueStart).every((b) => b === 0x5a)).toBe(true);
  });

  it.each([0, 127, 128, 255, 256, 65535, 65536])("writes a primitive header for %i octets equal to the reference encoder", (n) => {
    const content = new Uint8Array(n).fill(7);
    const w = new DerWriter(1);
    expect(toHex(w.tlv(DER.OCTET_STRING, content).finish())).toBe(toHex(encodeTlv(TAG.OCTET_STRING, content)));
  });

  it("nests elements whose lengths cross the short/long boundaries, equal to a reference encoder (randomized trees)", () => {
    type Tree = { tag: number; kids: Tree[] } | { leaf: Uint8Array };
    const random = rng(7);
    const gen = (depth: number): Tree => {
      if (depth === 0 || random() < 0.3) return { leaf: new Uint8Array(Math.floor(random() * (random() < 0.2 ? 400 : 140))).fill(depth) };
      return { tag: random() < 0.5 ? DER.SEQUENCE : DER.SET, kids: Array.from({ length: Math.floor(random() * 4) }, () => gen(depth - 1)) };
    };
    const reference = (t: Tree): Uint8Array => {
      if ("leaf" in t) return encodeTlv(TAG.OCTET_STRING, t.leaf);
      const parts = t.kids.map(reference);
      const content = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of parts) (content.set(p, o), (o += p.length));
      return encodeTlv(t.tag, content);
    };
    const write = (w: DerWriter, t: Tree): void => {
      if ("leaf" in t) {
        w.octetString(t.leaf);
        return;
      }
      const m = w.start(t.tag);
      for (const k of t.kids) write(w, k);
      w.end(m);
    };
    for (let i = 0; i < 300; i++) {
      const tree: Tree = { tag: DER.SEQUENCE, kids: [gen(4), gen(3)] };
      const w = new DerWriter(8);
      write(w, tree);
      expect(toHex(w.finish())).toBe(toHex(reference(tree)));
    }
  });
});

describe("INTEGER (X.690 §8.3; RFC 5280 §4.1.2.2 positive serials)", () => {
  it.each([
    ["", "00"],
    ["00", "00"],
    ["0000", "00"],
    ["01", "01"],
    ["7f", "7f"],
    ["80", "0080"],
    ["ff", "00ff"],
    ["0080", "0080"],
    ["000080", "0080"],
    ["00007f", "7f"],
    ["0100", "0100"],
    ["ffff", "00ffff"],
    ["80000000000000000000000000000000", "0080000000000000000000000000000000"],
  ])("encodes magnitude %s as %s", (magnitude, expected) => {
    expect(toHex(unsignedIntegerContent(hex(magnitude)))).toBe(expected);
  });

  it("encodes random 1–66-octet magnitudes minimally and positively, equal to BigInt", () => {
    const random = rng(42);
    for (let i = 0; i < 2000; i++) {
      const m = Uint8Array.from({ length: 1 + Math.floor(random() * 66) }, () => (random() < 0.15 ? 0 : Math.floor(random() * 256)));
      const out = new DerWriter(2).unsignedInteger(m).finish();
      const v = readIntegerBytes(out, readRoot(out, TAG.INTEGER));
      expect(v[0]! & 0x80).toBe(0);
      expect(BigInt("0x" + (toHex(v) || "0"))).toBe(BigInt("0x" + (toHex(m) || "0")));
    }
  });

  it.each([
    [0, "020100"],
    [2, "020102"],
    [127, "02017f"],
    [128, "02020080"],
    [255, "020200ff"],
    [256, "02020100"],
    [65535, "020300ffff"],
  ])("encodes the small integer %i as %s", (n, expected) => {
    expect(toHex(new DerWriter().smallInteger(n).finish())).toBe(expected);
  });

  it("rejects negative small integers", () => {
    expect(() => new DerWriter().smallInteger(-1)).toThrow(RangeError);
  });
});

describe("OBJECT IDENTIFIER (X.690 §8.19)", () => {
  it.each([
    ["2.5.4.3", "550403"],
    ["2.5.29.19", "551d13"],
    ["1.2.840.113549.1.1.11", "2a864886f70d01010b"],
    ["1.2.840.10045.4.3.2", "2a8648ce3d040302"],
    ["1.3.101.112", "2b6570"],
    ["1.3.6.1.5.5.7.3.1", "2b06010505070301"],
    ["0.9.2342.19200300.100.1.25", "0992268993f22c640119"],
    ["2.999.3", "883703"],
    ["0.0", "00"],
    ["1.39", "4f"],
    ["2.47", "7f"],
    ["2.48", "8100"],
    ["1.2.127.128.16383.16384", "2a7f8100ff7f818000"],
  ])("encodes %s as %s and reads back", (oid, expected) => {
    expect(toHex(encodeOidContent(oid))).toBe(expected);
    const tlv = encodeOid(oid);
    expect(readOid(tlv, readRoot(tlv, TAG.OID))).toBe(oid);
  });

  it.each(["", "1", "3.1", "1.40", "0.40", "1.2.03", "1..2", "a.b", "1.2.-3", "1.2.99999999999999999"])("rejects %j", (oid) => {
    expect(() => encodeOidContent(oid)).toThrow(RangeError);
  });

  it("round-trips random OIDs through the strict reader", () => {
    const random = rng(3);
    for (let i = 0; i < 1000; i++) {
      const first = Math.floor(random() * 3);
      const second = first < 2 ? Math.floor(random() * 40) : Math.floor(random() * 100000);
      const rest = Array.from({ length: Math.floor(random() * 8) }, () => Math.floor(random() ** 3 * 2 ** 40));
      const oid = [first, second, ...rest].join(".");
      const tlv = encodeOid(oid);
      expect(readOid(tlv, readRoot(tlv, TAG.OID))).toBe(oid);
    }
  });
});

describe("Time (RFC 5280 §4.1.2.5)", () => {
  it.each([
    ["1949-12-31T23:59:59Z", TAG.GENERALIZED_TIME, "19491231235959Z"],
    ["1950-01-01T00:00:00Z", TAG.UTC_TIME, "500101000000Z"],
    ["1970-01-01T00:00:00Z", TAG.UTC_TIME, "700101000000Z"],
    ["1999-12-31T23:59:59Z", TAG.UTC_TIME, "991231235959Z"],
    ["2000-01-01T00:00:00Z", TAG.UTC_TIME, "000101000000Z"],
    ["2026-02-28T07:08:09.999Z", TAG.UTC_TIME, "260228070809Z"],
    ["2049-12-31T23:59:59Z", TAG.UTC_TIME, "491231235959Z"],
    ["2049-12-31T23:59:59.999Z", TAG.UTC_TIME, "491231235959Z"],
    ["2050-01-01T00:00:00Z", TAG.GENERALIZED_TIME, "20500101000000Z"],
    ["2099-02-28T12:00:00Z", TAG.GENERALIZED_TIME, "20990228120000Z"],
    ["9999-12-31T23:59:59Z", TAG.GENERALIZED_TIME, "99991231235959Z"],
  ])("encodes %s as tag %i %s (whole seconds, Zulu) and reads back", (iso, tag, text) => {
    const ms = Date.parse(iso);
    expect(encodeTimeContent(ms)).toEqual({ tag, text });
    const out = new DerWriter().time(ms).finish();
    expect(out[0]).toBe(tag);
    expect(readTime(out, readTlv(out, 0, out.length))).toBe(Math.floor(ms / 1000) * 1000);
  });

  it("round-trips random instants from 1950 to 2100", () => {
    const random = rng(11);
    const lo = Date.parse("1950-01-01T00:00:00Z");
    const hi = Date.parse("2100-01-01T00:00:00Z");
    for (let i = 0; i < 3000; i++) {
      const ms = Math.floor(lo + random() * (hi - lo));
      const out = new DerWriter().time(ms).finish();
      expect(out[0]).toBe(new Date(ms).getUTCFullYear() >= 2050 ? TAG.GENERALIZED_TIME : TAG.UTC_TIME);
      expect(readTime(out, readTlv(out, 0, out.length))).toBe(Math.floor(ms / 1000) * 1000);
    }
  });

  it("rejects invalid dates and years beyond 9999", () => {
    expect(() => encodeTimeContent(NaN)).toThrow(RangeError);
    expect(() => encodeTimeContent(Date.parse("+010000-01-01T00:00:00Z"))).toThrow(RangeError);
  });
});

describe("other primitives", () => {
  it("writes BOOLEAN as X.690 §11.1 requires (TRUE = ff)", () => {
    expect(toHex(new DerWriter().boolean(true).boolean(false).finish())).toBe("0101ff010100");
  });

  it("writes BIT STRINGs with their unused-bits octet and rejects impossible padding", () => {
    expect(toHex(new DerWriter().bitString(hex("80"), 7).finish())).toBe("03020780");
    expect(toHex(new DerWriter().bitString(hex("a0"), 5).finish())).toBe("030205a0");
    expect(toHex(new DerWriter().bitString(new Uint8Array(0)).finish())).toBe("030100");
    expect(() => new DerWriter().bitString(new Uint8Array(0), 1)).toThrow(RangeError);
    expect(() => new DerWriter().bitString(hex("00"), 8)).toThrow(RangeError);
  });

  it("chooses PrintableString when X.680 allows it, else UTF8String", () => {
    expect(toHex(new DerWriter().directoryString("cp.example.com").finish())).toBe("130e63702e6578616d706c652e636f6d");
    expect(toHex(new DerWriter().directoryString("*.example.com").finish())).toBe("0c0d2a2e6578616d706c652e636f6d");
    expect(toHex(new DerWriter().directoryString("Zürich").finish())).toBe("0c075ac3bc72696368");
    expect(isPrintableString("A-Z a-z 0-9 '()+,-./:=?")).toBe(true);
    for (const c of ["*", "@", "&", "_", "#", "!", '"', ";", "<", "\\", "é"]) expect(isPrintableString(c)).toBe(false);
  });

  it("refuses non-ASCII in ASCII string types", () => {
    expect(() => new DerWriter().ascii(DER.IA5_STRING, "ça")).toThrow(RangeError);
  });

  it("grows its buffer from any starting capacity", () => {
    const w = new DerWriter(1);
    for (let i = 0; i < 5000; i++) w.byte(i & 0xff);
    const out = w.finish();
    expect(out.length).toBe(5000);
    expect(out[4999]).toBe(4999 & 0xff);
  });
});

describe("ECDSA-Sig-Value (RFC 3279 §2.2.3)", () => {
  it.each([
    ["0102", "3006020101020102"],
    ["8001", "3007020200800201" + "01"],
    ["0080", "3007020100020200" + "80"],
    ["00000001", "3006020100020101"],
  ])("encodes raw %s", (raw, expected) => {
    expect(toHex(ecdsaSignatureToDer(hex(raw)))).toBe(expected);
  });

  it("encodes random P-256/P-384/P-521 raw signatures so the strict reader gets r and s back", () => {
    const random = rng(5);
    for (const size of [32, 48, 66]) {
      for (let i = 0; i < 500; i++) {
        const raw = Uint8Array.from({ length: size * 2 }, (_, j) => (j % size === 0 && random() < 0.3 ? 0 : Math.floor(random() * 256)));
        const der = ecdsaSignatureToDer(raw);
        const [r, s] = children(der, readRoot(der, TAG.SEQUENCE));
        for (const [k, tlv] of [r!, s!].entries()) {
          const v = readIntegerBytes(der, tlv);
          expect(v[0]! & 0x80).toBe(0);
          expect(BigInt("0x" + toHex(v))).toBe(BigInt("0x" + toHex(raw.subarray(k * size, (k + 1) * size))));
        }
      }
    }
  });

  it("rejects odd-length input", () => {
    expect(() => ecdsaSignatureToDer(hex("010203"))).toThrow(RangeError);
  });
});
