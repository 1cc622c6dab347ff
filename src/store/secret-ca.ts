/**
 * CA material from Worker secrets: CA_CERT, CA_KEY, optional CA_TRUST, and
 * CA_PREVIOUS_CERT / CA_PREVIOUS_KEY between a rotation's switch and retire.
 * (A KV-backed source can implement the same shape.)
 */
import type { Env } from "../config.ts";
import type { CaMaterial } from "../pki/certificate-authority.ts";

export function caMaterialFromSecrets(env: Env): CaMaterial {
  return { certPem: env.CA_CERT, keyPem: env.CA_KEY, trustPem: env.CA_TRUST, previousCertPem: env.CA_PREVIOUS_CERT, previousKeyPem: env.CA_PREVIOUS_KEY };
}
