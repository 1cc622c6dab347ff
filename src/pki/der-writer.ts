/**
 * A small DER writer (ITU-T X.690 §8 and §10) for the fixed leaf profile:
 * definite minimal lengths, minimal two's-complement INTEGERs, OBJECT
 * IDENTIFIERs, BOOLEAN, BIT/OCTET STRING and RFC 5280 §4.1.2.5 times, written
 * into one growing buffer. Written by hand because building a certificate with
 * asn1js/asn1-schema costs ~100× the signature itself (see docs/performance.md).
 *
 * Constructed elements are opened with `start(tag)` and closed with `end(mark)`:
 * the content is written first and, when its length needs more than the one
 * short-form octet reserved for it, shifted right once to make room for the
 * long form (X.690 §8.1.3.5), so no length is computed twice.
 */

import { TAG as DER } from "./der-tags.ts";

export { DER };

/** Context-specific tags (X.690 §8.1.2.2): constructed [n] and primitive [n]. */
export const contextConstructed = (n: number): number => 0xa0 | n;
export const contextPrimitive = (n: number): number => 0x80 | n;

/** Number of octets the DER length of `length` occupies (X.690 §10.1, §8.1.3). */
export function lengthSize(length: number): number {
  if (length < 0 || !Number.isSafeInteger(length)) throw new RangeError(`invalid DER length ${length}`);
  if (length < 0x80) return 1;
  let n = 1;
  for (let l = length; l > 0; l = Math.floor(l / 256)) n++;
  return n;
}

/** The DER length octets of `length`: short form below 128, else the minimal long form. */
export function encodeLength(length: number): Uint8Array {
  const size = lengthSize(length);
  const out = new Uint8Array(size);
  if (size === 1) {
    out[0] = length;
    return out;
  }
  out[0] = 0x80 | (size - 1);
  for (let i = size - 1, l = length; i >= 1; i--, l = Math.floor(l / 256)) out[i] = l & 0xff;
  return out;
}

/** OBJECT IDENTIFIER content octets from dotted text (X.690 §8.19). */
export function encodeOidContent(dotted: string): Uint8Array {
  const parts = dotted.split(".");
  if (parts.length < 2 || parts.some((p) => !/^(0|[1-9][0-9]*)$/.test(p))) throw new RangeError(`invalid OID "${dotted}"`);
  const arcs = parts.map(Number);
  if (arcs.some((a) => !Number.isSafeInteger(a))) throw new RangeError(`OID arc too large in "${dotted}"`);
  const [first, second] = arcs as [number, number];
  // X.690 §8.19.4: the first two arcs are combined as 40·X + Y; X ≤ 2, and Y < 40 when X < 2.
  if (first > 2 || (first < 2 && second > 39)) throw new RangeError(`invalid OID "${dotted}"`);
  const out: number[] = [];
  for (const arc of [first * 40 + second, ...arcs.slice(2)]) {
    // X.690 §8.19.2: base-128, most significant first, bit 8 set on all but the last octet, no leading 0x80.
    const groups: number[] = [arc % 128];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) groups.unshift((v % 128) | 0x80);
    out.push(...groups);
  }
  return new Uint8Array(out);
}

/** A complete OBJECT IDENTIFIER element (tag, length, content). */
export function encodeOid(dotted: string): Uint8Array {
  const w = new DerWriter(32);
  w.tlv(DER.OID, encodeOidContent(dotted));
  return w.finish();
}

/**
 * The content octets of a non-negative INTEGER whose magnitude is `magnitude`
 * (big-endian, any leading zeros): minimal (X.690 §8.3.2), with a leading 0x00
 * when the high bit is set so the value stays positive (RFC 5280 §4.1.2.2).
 */
export function unsignedIntegerContent(magnitude: Uint8Array): Uint8Array {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  if (magnitude.length === 0) return new Uint8Array([0]);
  const m = magnitude.subarray(i);
  if ((m[0]! & 0x80) === 0) return m;
  const out = new Uint8Array(m.length + 1);
  out.set(m, 1);
  return out;
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/**
 * RFC 5280 §4.1.2.5: validity dates through 2049 as UTCTime (YYMMDDHHMMSSZ,
 * §4.1.2.5.1), from 2050 on, and before 1950, as GeneralizedTime
 * (YYYYMMDDHHMMSSZ, §4.1.2.5.2); seconds always present, no fractions
 * (milliseconds are truncated), always Zulu.
 */
export function encodeTimeContent(ms: number): { tag: number; text: string } {
  if (!Number.isFinite(ms)) throw new RangeError("invalid date");
  const d = new Date(Math.floor(ms / 1000) * 1000);
  const year = d.getUTCFullYear();
  if (year < 0 || year > 9999) throw new RangeError(`year ${year} cannot be encoded`);
  const rest = pad2(d.getUTCMonth() + 1) + pad2(d.getUTCDate()) + pad2(d.getUTCHours()) + pad2(d.getUTCMinutes()) + pad2(d.getUTCSeconds()) + "Z";
  if (year >= 1950 && year <= 2049) return { tag: DER.UTC_TIME, text: pad2(year % 100) + rest };
  return { tag: DER.GENERALIZED_TIME, text: String(year).padStart(4, "0") + rest };
}

/** X.680 §41.4 PrintableString characters. */
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

export function isPrintableString(text: string): boolean {
  return PRINTABLE.test(text);
}

const UTF8 = new TextEncoder();

/** A DER writer into one growing buffer. */
export class DerWriter {
  private buf: Uint8Array;
  private len = 0;

  constructor(capacity = 1024) {
    this.buf = new Uint8Array(capacity);
  }

  get length(): number {
    return this.len;
  }

  private ensure(extra: number): void {
    const need = this.len + extra;
    if (need <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  byte(b: number): this {
    this.ensure(1);
    this.buf[this.len++] = b;
    return this;
  }

  /** Writes bytes verbatim (a pre-encoded element). */
  raw(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.len);
    this.len += bytes.length;
    return this;
  }

  /** Writes a tag and the definite DER length of `length` (X.690 §8.1.3). */
  header(tag: number, length: number): this {
    const size = lengthSize(length);
    this.ensure(1 + size);
    this.buf[this.len++] = tag;
    if (size === 1) {
      this.buf[this.len++] = length;
    } else {
      this.buf[this.len++] = 0x80 | (size - 1);
      for (let i = size - 2, l = length; i >= 0; i--, l = Math.floor(l / 256)) this.buf[this.len + i] = l & 0xff;
      this.len += size - 1;
    }
    return this;
  }

  /** A primitive element: tag, length, content. */
  tlv(tag: number, content: Uint8Array): this {
    return this.header(tag, content.length).raw(content);
  }

  /** Opens a constructed element; returns the mark to pass to `end`. */
  start(tag: number): number {
    this.ensure(2);
    const mark = this.len;
    this.buf[this.len++] = tag;
    this.buf[this.len++] = 0;
    return mark;
  }

  /** Closes the element opened at `mark`, writing its length (shifting the content when the long form is needed). */
  end(mark: number): this {
    const contentStart = mark + 2;
    const length = this.len - contentStart;
    const size = lengthSize(length);
    if (size === 1) {
      this.buf[mark + 1] = length;
      return this;
    }
    const shift = size - 1;
    this.ensure(shift);
    this.buf.copyWithin(contentStart + shift, contentStart, this.len);
    this.len += shift;
    this.buf[mark + 1] = 0x80 | (size - 1);
    for (let i = size - 1, l = length; i >= 1; i--, l = Math.floor(l / 256)) this.buf[mark + 1 + i] = l & 0xff;
    return this;
  }

  /** BOOLEAN (X.690 §11.1: TRUE is 0xFF). */
  boolean(value: boolean): this {
    return this.byte(DER.BOOLEAN).byte(1).byte(value ? 0xff : 0);
  }

  /** A non-negative INTEGER from its big-endian magnitude (see unsignedIntegerContent). */
  unsignedInteger(magnitude: Uint8Array): this {
    return this.tlv(DER.INTEGER, unsignedIntegerContent(magnitude));
  }

  /** A small non-negative INTEGER (versions, counts). */
  smallInteger(n: number): this {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`invalid small integer ${n}`);
    const bytes: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
    return this.unsignedInteger(new Uint8Array(bytes));
  }

  /** BIT STRING with `unused` padding bits in the last octet (X.690 §8.6.2). */
  bitString(bits: Uint8Array, unused = 0): this {
    if (unused < 0 || unused > 7 || (bits.length === 0 && unused !== 0)) throw new RangeError("invalid BIT STRING padding");
    return this.header(DER.BIT_STRING, bits.length + 1).byte(unused).raw(bits);
  }

  octetString(bytes: Uint8Array): this {
    return this.tlv(DER.OCTET_STRING, bytes);
  }

  /** An ASCII string under `tag` (IA5String, PrintableString, or a [n] IMPLICIT IA5String). */
  ascii(tag: number, text: string): this {
    this.header(tag, text.length);
    this.ensure(text.length);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c > 0x7f) throw new RangeError("non-ASCII character in an ASCII string type");
      this.buf[this.len++] = c;
    }
    return this;
  }

  /** A directory string: PrintableString when every character allows it, else UTF8String (RFC 5280 §4.1.2.4). */
  directoryString(text: string): this {
    return isPrintableString(text) ? this.ascii(DER.PRINTABLE_STRING, text) : this.tlv(DER.UTF8_STRING, UTF8.encode(text));
  }

  /** UTCTime or GeneralizedTime by RFC 5280 §4.1.2.5 (see encodeTimeContent). */
  time(ms: number): this {
    const { tag, text } = encodeTimeContent(ms);
    return this.ascii(tag, text);
  }

  /** The bytes written so far (a view; the writer must not be used afterwards). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

/** ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 3279 §2.2.3) from WebCrypto's raw r||s. */
export function ecdsaSignatureToDer(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0) throw new RangeError("raw ECDSA signature must be r||s of equal halves");
  const half = raw.length / 2;
  const w = new DerWriter(raw.length + 16);
  const seq = w.start(DER.SEQUENCE);
  w.unsignedInteger(raw.subarray(0, half)).unsignedInteger(raw.subarray(half));
  w.end(seq);
  return w.finish();
}
