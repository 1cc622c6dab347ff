/**
 * Distinguished names (RFC 5280 §4.1.2.4) as display text, the one form every
 * surface shows (verify, /healthz, /v1/ca, /v1/ca/status, /ui, CA error
 * messages, the CLI) and CA_CERT issuer and subject names are compared by:
 * RFC 4514 §2.1, as `openssl x509 -nameopt RFC2253` prints: the last RDN of
 * the sequence first (most specific first for a conventionally ordered name:
 * CN=…,O=…,C=…), RDNs joined by "," and multi-valued RDNs by "+", values
 * escaped as RFC 4514 §2.4 does, and a value that is not a string written as
 * "#" and the hex of its whole DER element (RFC 4514 §2.4). Per RDN this is
 * what @peculiar/x509's Name.toString() printed (in the reverse order), which
 * the worker no longer bundles (test/unit/ca-material-differential.test.ts compares them).
 */
import { DerError, TAG, childrenOf, decodeBmpString, decodeUniversalString, raw, readOid, readRoot, value, type Tlv } from "./path-validation/der.ts";
import { toHex } from "./bytes.ts";

/** Short attribute names (RFC 4514 §3 and the few more @peculiar/x509 knew); others print as dotted OIDs. */
const SHORT_NAMES: Record<string, string> = {
  "2.5.4.3": "CN",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.6": "C",
  "0.9.2342.19200300.100.1.25": "DC",
  "1.2.840.113549.1.9.1": "E",
  "2.5.4.42": "G",
  "2.5.4.43": "I",
  "2.5.4.4": "SN",
  "2.5.4.12": "T",
};

const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

function latin1(v: Uint8Array): string {
  let s = "";
  for (const b of v) s += String.fromCharCode(b);
  return s;
}

/** The text of a directory string (X.520 DirectoryString, or IA5String), or null for any other type. */
function stringValue(bytes: Uint8Array, tlv: Tlv): string | null {
  const v = value(bytes, tlv);
  switch (tlv.tag) {
    case TAG.UTF8_STRING:
      try {
        return UTF8.decode(v);
      } catch {
        // Not UTF-8 after all: show the octets rather than replacement characters.
        return latin1(v);
      }
    case TAG.BMP_STRING:
      return decodeBmpString(v);
    case TAG.UNIVERSAL_STRING:
      return decodeUniversalString(v);
    case TAG.PRINTABLE_STRING:
    case TAG.T61_STRING:
    case TAG.IA5_STRING:
      return latin1(v);
    default:
      return null;
  }
}

/** RFC 4514 §2.4 escaping, as @peculiar/x509 applied it (only the first CR, LF or TAB becomes \XX). */
function escapeValue(text: string): string {
  return text
    .replace(/([,+"\\<>;])/g, "\\$1")
    .replace(/^([ #])/, "\\$1")
    .replace(/([ ]$)/, "\\$1")
    .replace(/([\r\n\t])/, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, "0").toUpperCase()}`);
}

/** Formats the Name element `name` inside `bytes`; throws DerError when it is not a Name. */
export function formatNameAt(bytes: Uint8Array, name: Tlv): string {
  const rdns: string[] = [];
  for (const rdn of childrenOf(bytes, name, TAG.SEQUENCE)) {
    const atvs = childrenOf(bytes, rdn, TAG.SET);
    if (atvs.length === 0) throw new DerError("empty relative distinguished name");
    const parts: string[] = [];
    for (const atv of atvs) {
      const [type, val, extra] = childrenOf(bytes, atv, TAG.SEQUENCE);
      if (!type || !val || extra) throw new DerError("malformed attribute in a name");
      const oid = readOid(bytes, type);
      const text = stringValue(bytes, val);
      parts.push(`${SHORT_NAMES[oid] ?? oid}=${text === null ? `#${toHex(raw(bytes, val))}` : escapeValue(text)}`);
    }
    rdns.push(parts.join("+"));
  }
  // RFC 4514 §2.1: "starting with the last element of the sequence and moving backwards toward the first".
  return rdns.reverse().join(",");
}

/** Formats a DER Name (e.g. a certificate's subjectRaw). */
export function formatName(der: Uint8Array): string {
  return formatNameAt(der, readRoot(der, TAG.SEQUENCE));
}
