/**
 * CA material from Worker secrets: CA_CERT, CA_KEY and optional CA_TRUST.
 * (A KV-backed source can implement the same shape.)
 */
import type { Env } from "../config.ts";
import type { CaMaterial } from "../pki/certificate-authority.ts";

export function caMaterialFromSecrets(env: Env): CaMaterial {
  return { certPem: env.CA_CERT, keyPem: env.CA_KEY, trustPem: env.CA_TRUST };
}
