/**
 * The leaf certificate profile edgeca issues, and the self-check every issued
 * certificate passes before it leaves (standing in for zlint/pkilint, which
 * cannot be installed here).
 *
 * Profile (RFC 5280 §4.1, CA/B Forum BR §7.1): v3; positive random serial;
 * subject CN = the first DNS name when it fits in 64 characters, otherwise an
 * empty subject and a critical SAN (RFC 5280 §4.2.1.6); basicConstraints
 * CA:FALSE critical; keyUsage digitalSignature (+ keyEncipherment for RSA)
 * critical; extKeyUsage serverAuth and/or clientAuth; SKI; AKI = issuer SKI.
 *
 * `signLeafCertificate` / `checkLeafCertificate` are the fast path
 * (leaf-der.ts: DER written directly, checked with the strict path-validation
 * reader), used for every issuance. The same profile built and checked with
 * @peculiar/x509, the reference the fast path is differentially tested
 * against, lives in leaf-reference.ts, outside the worker's import graph.
 */
import type { CertificateAuthority } from "./certificate-authority.ts";
import type { SubjectName } from "./names.ts";
import { checkLeafDer, signLeafDer } from "./leaf-der.ts";
import type { LeafTemplate } from "./leaf-template.ts";

export type { LeafTemplate, Usage } from "./leaf-template.ts";


/** RFC 5280 upper bound ub-common-name. */
export const MAX_COMMON_NAME = 64;

export function defaultCommonName(names: readonly SubjectName[]): string | undefined {
  const first = names.find((n) => n.kind === "dns");
  return first && first.value.length <= MAX_COMMON_NAME ? first.value : undefined;
}

/** Builds and signs a leaf certificate from a checked template; returns its DER. */
export function signLeafCertificate(ca: CertificateAuthority, template: LeafTemplate): Promise<Uint8Array> {
  return signLeafDer(ca, template);
}

/**
 * Parses an issued certificate back and checks it against the template and
 * the CA: signature, issuer, serial, validity, key, every extension and its
 * criticality, and nothing unexpected. Returns the list of deviations.
 */
export function checkLeafCertificate(der: Uint8Array, ca: CertificateAuthority, template: LeafTemplate): Promise<string[]> {
  return checkLeafDer(der, ca, template);
}
