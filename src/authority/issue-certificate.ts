/**
 * Use case: issue a certificate with a key edgeca generates (POST /v1/certificates).
 */
import type { KeyAlgorithm } from "../pki/keys.ts";
import { generateLeafKey } from "../pki/leaf-key.ts";
import { encodePem } from "../pki/pem.ts";
import type { Usage } from "../pki/leaf-profile.ts";
import { mintLeaf, type AuthorityContext, type IssuedCertificate } from "./mint-leaf.ts";
import { requireReplaceable } from "./replaces.ts";
import { authorizeNames, resolveCommonName, resolveTtl, type Principal } from "./policy.ts";

export interface IssueCertificateInput {
  hostnames: string[];
  usages: Usage[];
  key: KeyAlgorithm;
  ttl?: string | undefined;
  commonName?: string | undefined;
  /** The serial of the certificate this one renews (RFC 9773 §5 `replaces`), normalized. */
  replaces?: string | undefined;
}

export async function issueCertificate(ctx: AuthorityContext, principal: Principal, input: IssueCertificateInput): Promise<IssuedCertificate> {
  const names = authorizeNames(principal, input.hostnames, "/hostnames");
  const ttlSeconds = resolveTtl(ctx.config, principal, input.ttl);
  const commonName = resolveCommonName(input.commonName, names);
  if (input.replaces !== undefined) await requireReplaceable(ctx, principal, input.replaces, names);
  const key = await generateLeafKey(input.key);
  const leaf = await mintLeaf(ctx, {
    names,
    commonName,
    usages: input.usages,
    ttlSeconds,
    publicKey: key.spki,
    publicKeyAlgorithm: input.key,
    keySource: "generated",
    replaces: input.replaces,
  });
  // PKCS#8 "PRIVATE KEY" (RFC 5208, RFC 7468 §10): the form Kuma reads as tls.key.
  return { ...leaf, privateKey: encodePem("PRIVATE KEY", key.pkcs8) };
}
