/**
 * What a leaf certificate is made from: the checked request, before signing.
 * Its own module so the profile (leaf-profile.ts) and the DER writer
 * (leaf-der.ts) can share it without importing each other.
 */
import type { PublicKeyAlgorithm } from "./keys.ts";
import type { SubjectName } from "./names.ts";

export type Usage = "server" | "client";

export interface LeafTemplate {
  serialNumber: Uint8Array;
  names: SubjectName[];
  /** CN to use; when undefined the first DNS name (≤ 64 chars) is used. */
  commonName?: string | undefined;
  usages: Usage[];
  /** DER SubjectPublicKeyInfo of the subject's key. */
  publicKey: Uint8Array;
  publicKeyAlgorithm: PublicKeyAlgorithm;
  notBefore: Date;
  notAfter: Date;
  /** URL of the CRL, placed in a CRL distribution point (RFC 5280 §4.2.1.13). */
  crlDistributionPoint?: string | undefined;
}
