/**
 * A minimal strict DER reader (ITU-T X.690 §10) for the path validator: just
 * enough to walk a certificate once without copying, with the DER rules that
 * Go's crypto/x509 also enforces (definite, minimal lengths; minimal INTEGERs).
 * Failures throw DerError, which the certificate parser turns into values.
 */
import { TAG } from "../der-tags.ts";

export { TAG };

export class DerError extends Error {}

/** One tag-length-value element: `bytes.subarray(valueStart, end)` is its content. */
export interface Tlv {
  tag: number;
  start: number;
  valueStart: number;
  end: number;
}

/** Reads the element starting at `pos`, which must end at or before `limit`. */
export function readTlv(bytes: Uint8Array, pos: number, limit: number): Tlv {
  if (pos + 2 > limit) throw new DerError("truncated element");
  const tag = bytes[pos]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError("high tag numbers are not used in certificates");
  const lengthByte = bytes[pos + 1]!;
  let valueStart = pos + 2;
  let length: number;
  if (lengthByte < 0x80) {
    length = lengthByte;
  } else {
    const count = lengthByte & 0x7f;
    // X.690 §10.1: DER uses the definite form with the minimum number of length octets.
    if (count === 0) throw new DerError("indefinite length is not DER");
    if (count > 4) throw new DerError("length too large");
    if (valueStart + count > limit) throw new DerError("truncated length");
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[valueStart + i]!;
    valueStart += count;
    if (length < 0x80 || (count > 1 && bytes[pos + 2] === 0)) throw new DerError("non-minimal length");
  }
  const end = valueStart + length;
  if (end > limit) throw new DerError("element runs past its container");
  return { tag, start: pos, valueStart, end };
}

/** Reads the single element that must fill `bytes` exactly. */
export function readRoot(bytes: Uint8Array, expectedTag: number): Tlv {
  const tlv = readTlv(bytes, 0, bytes.length);
  if (tlv.tag !== expectedTag) throw new DerError(`expected tag 0x${expectedTag.toString(16)}`);
  if (tlv.end !== bytes.length) throw new DerError("trailing data after the element");
  return tlv;
}

/** The direct children of a constructed element. */
export function children(bytes: Uint8Array, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  let pos = parent.valueStart;
  while (pos < parent.end) {
    const child = readTlv(bytes, pos, parent.end);
    out.push(child);
    pos = child.end;
  }
  return out;
}

/** Children of a constructed element with the expected tag. */
export function childrenOf(bytes: Uint8Array, parent: Tlv, expectedTag: number): Tlv[] {
  if (parent.tag !== expectedTag) throw new DerError(`expected tag 0x${expectedTag.toString(16)}, got 0x${parent.tag.toString(16)}`);
  return children(bytes, parent);
}

export function expectTag(tlv: Tlv | undefined, tag: number, what: string): Tlv {
  if (!tlv) throw new DerError(`missing ${what}`);
  if (tlv.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, got 0x${tlv.tag.toString(16)}`);
  return tlv;
}

export function value(bytes: Uint8Array, tlv: Tlv): Uint8Array {
  return bytes.subarray(tlv.valueStart, tlv.end);
}

export function raw(bytes: Uint8Array, tlv: Tlv): Uint8Array {
  return bytes.subarray(tlv.start, tlv.end);
}

/** OBJECT IDENTIFIER content to dotted text (X.690 §8.19). */
export function readOid(bytes: Uint8Array, tlv: Tlv): string {
  if (tlv.tag !== TAG.OID) throw new DerError("expected an OBJECT IDENTIFIER");
  if (tlv.end === tlv.valueStart) throw new DerError("empty OBJECT IDENTIFIER");
  // Built as text in one pass (no arrays): OIDs are read for every extension of every certificate checked.
  let text = "";
  let n = 0;
  let started = false;
  let first = true;
  for (let i = tlv.valueStart; i < tlv.end; i++) {
    const b = bytes[i]!;
    if (!started && b === 0x80) throw new DerError("non-minimal OBJECT IDENTIFIER arc");
    started = true;
    n = n * 128 + (b & 0x7f);
    if (n > Number.MAX_SAFE_INTEGER / 128) throw new DerError("OBJECT IDENTIFIER arc too large");
    if ((b & 0x80) === 0) {
      if (first) {
        // X.690 §8.19.4: the first subidentifier packs the first two arcs.
        text = n < 40 ? `0.${n}` : n < 80 ? `1.${n - 40}` : `2.${n - 80}`;
        first = false;
      } else text += "." + n;
      n = 0;
      started = false;
    }
  }
  if (started) throw new DerError("truncated OBJECT IDENTIFIER");
  return text;
}

/** INTEGER content, checked minimal (X.690 §8.3.2); returns the two's-complement bytes. */
export function readIntegerBytes(bytes: Uint8Array, tlv: Tlv): Uint8Array {
  if (tlv.tag !== TAG.INTEGER) throw new DerError("expected an INTEGER");
  const v = value(bytes, tlv);
  if (v.length === 0) throw new DerError("empty INTEGER");
  if (v.length > 1 && ((v[0] === 0 && (v[1]! & 0x80) === 0) || (v[0] === 0xff && (v[1]! & 0x80) !== 0))) {
    throw new DerError("non-minimal INTEGER");
  }
  return v;
}

/** A small non-negative INTEGER as a number (for versions, path lengths, salt lengths). */
export function readSmallInteger(bytes: Uint8Array, tlv: Tlv): number {
  const v = readIntegerBytes(bytes, tlv);
  if ((v[0]! & 0x80) !== 0) throw new DerError("negative INTEGER where a count is expected");
  if (v.length > 6) throw new DerError("INTEGER too large");
  let n = 0;
  for (const b of v) n = n * 256 + b;
  return n;
}

export function readBoolean(bytes: Uint8Array, tlv: Tlv): boolean {
  if (tlv.tag !== TAG.BOOLEAN) throw new DerError("expected a BOOLEAN");
  const v = value(bytes, tlv);
  // X.690 §11.1: DER encodes TRUE as 0xFF.
  if (v.length !== 1 || (v[0] !== 0 && v[0] !== 0xff)) throw new DerError("invalid BOOLEAN");
  return v[0] === 0xff;
}

/** BIT STRING content without the unused-bits octet; `unused` is that count. */
export function readBitString(bytes: Uint8Array, tlv: Tlv): { bits: Uint8Array; unused: number } {
  if (tlv.tag !== TAG.BIT_STRING) throw new DerError("expected a BIT STRING");
  const v = value(bytes, tlv);
  if (v.length === 0) throw new DerError("empty BIT STRING");
  const unused = v[0]!;
  if (unused > 7 || (v.length === 1 && unused !== 0)) throw new DerError("invalid BIT STRING padding");
  return { bits: v.subarray(1), unused };
}

const UTF8 = new TextDecoder("utf-8");

/** One character per octet (ISO 8859-1); done by hand because workerd's TextDecoder only guarantees UTF-8. */
function latin1(v: Uint8Array): string {
  let s = "";
  for (const b of v) s += String.fromCharCode(b);
  return s;
}

/** Decodes the directory string types used in names and SANs, for display and matching. */
/** BMPString content: UCS-2, big-endian (X.680 §41). */
export function decodeBmpString(v: Uint8Array): string {
  let s = "";
  for (let i = 0; i + 1 < v.length; i += 2) s += String.fromCharCode((v[i]! << 8) | v[i + 1]!);
  return s;
}

/** UniversalString content: UCS-4, big-endian (X.680 §41); a value past U+10FFFF shows as U+FFFD. */
export function decodeUniversalString(v: Uint8Array): string {
  let s = "";
  for (let i = 0; i + 3 < v.length; i += 4) {
    const cp = ((v[i]! << 24) | (v[i + 1]! << 16) | (v[i + 2]! << 8) | v[i + 3]!) >>> 0;
    s += cp <= 0x10ffff ? String.fromCodePoint(cp) : "\ufffd";
  }
  return s;
}

export function readString(bytes: Uint8Array, tlv: Tlv): string {
  const v = value(bytes, tlv);
  switch (tlv.tag) {
    case TAG.UTF8_STRING:
      return UTF8.decode(v);
    case TAG.BMP_STRING:
      return decodeBmpString(v);
    case TAG.UNIVERSAL_STRING:
      return decodeUniversalString(v);
    default:
      return latin1(v);
  }
}

/** UTCTime or GeneralizedTime (RFC 5280 §4.1.2.5) to milliseconds since the epoch. */
export function readTime(bytes: Uint8Array, tlv: Tlv): number {
  const text = latin1(value(bytes, tlv));
  let m: RegExpExecArray | null;
  let year: number;
  if (tlv.tag === TAG.UTC_TIME) {
    // RFC 5280 §4.1.2.5.1: YYMMDDHHMMSSZ; YY >= 50 is 19YY.
    m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
    if (!m) throw new DerError(`invalid UTCTime "${text}"`);
    const yy = Number(m[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
  } else if (tlv.tag === TAG.GENERALIZED_TIME) {
    // RFC 5280 §4.1.2.5.2: YYYYMMDDHHMMSSZ, no fractional seconds.
    m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
    if (!m) throw new DerError(`invalid GeneralizedTime "${text}"`);
    year = Number(m[1]);
  } else {
    throw new DerError("expected UTCTime or GeneralizedTime");
  }
  const [mo, d, h, mi, s] = [Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])];
  const t = Date.UTC(year, mo - 1, d, h, mi, s);
  const check = new Date(t);
  if (check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
    throw new DerError(`invalid date "${text}"`);
  }
  return t;
}

/** Encodes a definite DER length followed by content (used to rebuild keys for WebCrypto). */
export function encodeTlv(tag: number, content: Uint8Array): Uint8Array {
  const len = content.length;
  let header: number[];
  if (len < 0x80) header = [tag, len];
  else if (len < 0x100) header = [tag, 0x81, len];
  else if (len < 0x10000) header = [tag, 0x82, len >> 8, len & 0xff];
  else header = [tag, 0x83, len >> 16, (len >> 8) & 0xff, len & 0xff];
  const out = new Uint8Array(header.length + len);
  out.set(header, 0);
  out.set(content, header.length);
  return out;
}
