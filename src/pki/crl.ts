/**
 * Certificate revocation lists (RFC 5280 §5): a v2 CRL signed by the issuing
 * CA, with the CRL number (§5.2.3) and authority key identifier (§5.2.1)
 * extensions and a reason code per entry (§5.3.1).
 */
import { toHex } from "./bytes.ts";
import type { CertificateAuthority } from "./certificate-authority.ts";
import { x509 } from "./x509.ts";

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

/** DER INTEGER content octets of a non-negative number, minimal (X.690 §8.3.2). */
function integerContent(n: number): Uint8Array {
  const bytes: number[] = [];
  let v = n;
  do {
    bytes.unshift(v % 256);
    v = Math.floor(v / 256);
  } while (v > 0);
  if (bytes[0]! & 0x80) bytes.unshift(0);
  return new Uint8Array(bytes);
}

export async function buildCrl(
  ca: CertificateAuthority,
  params: { crlNumber: number; thisUpdate: Date; nextUpdate: Date; entries: readonly CrlEntry[] },
): Promise<Uint8Array> {
  const content = integerContent(params.crlNumber);
  const crlNumber = new Uint8Array([0x02, content.length, ...content]);
  const crl = await x509.X509CrlGenerator.create({
    issuer: ca.certificate.subjectName,
    thisUpdate: params.thisUpdate,
    nextUpdate: params.nextUpdate,
    signingKey: ca.signingKey,
    signingAlgorithm: ca.signatureAlgorithm,
    extensions: [new x509.AuthorityKeyIdentifierExtension(toHex(ca.subjectKeyIdentifier), false), new x509.Extension("2.5.29.20", false, crlNumber)],
    entries: params.entries.map((e) => ({
      serialNumber: e.serial,
      revocationDate: e.revokedAt,
      // RFC 5280 §5.3.1: the reason code should be absent rather than "unspecified".
      ...(e.reason === "unspecified" ? {} : { reason: REVOCATION_REASONS[e.reason] as unknown as x509.X509CrlReason }),
    })),
  });
  return new Uint8Array(crl.rawData);
}
