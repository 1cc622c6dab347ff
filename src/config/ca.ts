/**
 * The CA set from its secrets (CA_CERT, CA_KEY, CA_TRUST, CA_PREVIOUS_CERT,
 * CA_PREVIOUS_KEY): parsed and checked by pki/certificate-authority.ts
 * loadCaSet, keys imported non-extractable, once per isolate for the same
 * secrets. Unlike the other parts this is async (WebCrypto key import), so it
 * runs on the first request that needs the CA rather than in configFromEnv;
 * src/authority/certificate-authority.ts turns a problem into 503
 * ca_not_configured / ca_invalid.
 */
import { loadCaSet, type CaMaterial, type CaProblem, type CaSet } from "../pki/certificate-authority.ts";
import type { Result } from "../pki/result.ts";

const FIELDS = ["certPem", "keyPem", "trustPem", "previousCertPem", "previousKeyPem"] as const;

let cached: { material: CaMaterial; result: Result<CaSet, CaProblem> } | undefined;

/** Same secrets as last time: compared field by field (the same strings come back on every request, so === is cheap). */
function sameMaterial(a: CaMaterial, b: CaMaterial): boolean {
  return FIELDS.every((f) => a[f] === b[f]);
}

/** The loaded CA set; a failed load is tried again on the next call (the secrets may be fixed, a CA become valid). */
export async function caSetFrom(material: CaMaterial, now: Date): Promise<Result<CaSet, CaProblem>> {
  if (!cached || !sameMaterial(cached.material, material) || !cached.result.ok) {
    cached = { material: Object.fromEntries(FIELDS.map((f) => [f, material[f]])), result: await loadCaSet(material, now) };
  }
  return cached.result;
}
