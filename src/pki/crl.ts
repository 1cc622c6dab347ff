/**
 * Certificate revocation lists (RFC 5280 §5): a v2 CRL signed by the issuing
 * CA, with the CRL number (§5.2.3) and authority key identifier (§5.2.1)
 * extensions and a reason code per entry (§5.3.1), written with DerWriter.
 */
import { fromHex, toHex } from "./bytes.ts";
import type { CertificateAuthority } from "./certificate-authority.ts";
import { DER, DerWriter, contextConstructed, contextPrimitive, ecdsaSignatureToDer, encodeOid, unsignedIntegerContent } from "./der-writer.ts";
import { signatureAlgorithmIdentifier } from "./leaf-der.ts";

/** RFC 5280 §5.3.1 reason names accepted for revocation (removeFromCRL and certificateHold are not: revocation here is final). */
export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;
export type RevocationReason = keyof typeof REVOCATION_REASONS;

export interface CrlEntry {
  serial: string;
  revokedAt: Date;
  reason: RevocationReason;
}

const OID_TLV = {
  authorityKeyIdentifier: encodeOid("2.5.29.35"),
  cRLNumber: encodeOid("2.5.29.20"),
  reasonCode: encodeOid("2.5.29.21"),
};

/** ENUMERATED (X.680 §20), the type of CRLReason. */
const ENUMERATED = 0x0a;

function extension(w: DerWriter, oid: Uint8Array, write: (w: DerWriter) => void): void {
  // Every extension here is non-critical: critical DEFAULT FALSE is omitted in DER (X.690 §11.5).
  const ext = w.start(DER.SEQUENCE);
  w.raw(oid);
  const octets = w.start(DER.OCTET_STRING);
  write(w);
  w.end(octets).end(ext);
}

/** Writes the TBSCertList (RFC 5280 §5.1.2) of a v2 CRL. */
export function encodeTbsCertList(
  ca: Pick<CertificateAuthority, "subjectDer" | "subjectKeyIdentifier">,
  signatureAlgorithm: Uint8Array,
  params: { crlNumber: number; thisUpdate: Date; nextUpdate: Date; entries: readonly CrlEntry[] },
): Uint8Array {
  const w = new DerWriter(256 + ca.subjectDer.length + params.entries.length * 40);
  const tbs = w.start(DER.SEQUENCE);
  // RFC 5280 §5.1.2.1: version v2 (INTEGER 1), required when extensions are present.
  w.smallInteger(1);
  w.raw(signatureAlgorithm);
  // RFC 5280 §5.1.2.3: the issuer is the CA's subject, copied verbatim from its certificate.
  w.raw(ca.subjectDer);
  // RFC 5280 §5.1.2.4–5: UTCTime through 2049, GeneralizedTime after.
  w.time(params.thisUpdate.getTime());
  w.time(params.nextUpdate.getTime());
  // RFC 5280 §5.1.2.6: revokedCertificates is absent, not empty, when nothing is revoked.
  if (params.entries.length > 0) {
    const seen = new Set<string>();
    const revoked = w.start(DER.SEQUENCE);
    for (const e of params.entries) {
      const serial = unsignedIntegerContent(fromHex(e.serial));
      const key = toHex(serial);
      if (seen.has(key)) throw new Error(`serial number ${e.serial} is listed twice`);
      seen.add(key);
      const entry = w.start(DER.SEQUENCE);
      w.tlv(DER.INTEGER, serial);
      w.time(e.revokedAt.getTime());
      // RFC 5280 §5.3.1: the reason code should be absent rather than "unspecified"; with no
      // entry extension, crlEntryExtensions is absent too (Extensions is SIZE (1..MAX), §4.1).
      if (e.reason !== "unspecified") {
        const extensions = w.start(DER.SEQUENCE);
        extension(w, OID_TLV.reasonCode, (w) => w.tlv(ENUMERATED, new Uint8Array([REVOCATION_REASONS[e.reason]])));
        w.end(extensions);
      }
      w.end(entry);
    }
    w.end(revoked);
  }
  // RFC 5280 §5.1.2.7: crlExtensions [0] EXPLICIT Extensions.
  const explicit = w.start(contextConstructed(0));
  const extensions = w.start(DER.SEQUENCE);
  // RFC 5280 §5.2.1: authorityKeyIdentifier = the issuer's SKI, keyIdentifier [0] IMPLICIT OCTET STRING.
  extension(w, OID_TLV.authorityKeyIdentifier, (w) => {
    const seq = w.start(DER.SEQUENCE);
    w.tlv(contextPrimitive(0), ca.subjectKeyIdentifier).end(seq);
  });
  // RFC 5280 §5.2.3: cRLNumber ::= INTEGER (0..MAX), monotonically increasing.
  extension(w, OID_TLV.cRLNumber, (w) => w.smallInteger(params.crlNumber));
  w.end(extensions).end(explicit);
  return w.end(tbs).finish();
}

/** Builds and signs the CRL (RFC 5280 §5.1): TBSCertList, the CA's signature algorithm and signature. */
export async function buildCrl(
  ca: CertificateAuthority,
  params: { crlNumber: number; thisUpdate: Date; nextUpdate: Date; entries: readonly CrlEntry[] },
): Promise<Uint8Array> {
  const signatureAlgorithm = signatureAlgorithmIdentifier(ca.keyAlgorithm, ca.signatureAlgorithm.hash);
  const tbs = encodeTbsCertList(ca, signatureAlgorithm, params);
  let signature: Uint8Array = new Uint8Array(await crypto.subtle.sign(ca.signatureAlgorithm, ca.signingKey, tbs));
  // RFC 5758 §3.2 / RFC 3279 §2.2.3: ECDSA signatures are DER ECDSA-Sig-Value, WebCrypto gives r||s.
  if (ca.signatureAlgorithm.name === "ECDSA") signature = ecdsaSignatureToDer(signature);
  const w = new DerWriter(tbs.length + signatureAlgorithm.length + signature.length + 16);
  const crl = w.start(DER.SEQUENCE);
  w.raw(tbs).raw(signatureAlgorithm).bitString(signature);
  return w.end(crl).finish().slice();
}
