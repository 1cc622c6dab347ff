/**
 * Use case: issue a certificate with a key edgeca generates (POST /v1/certificates).
 */
import { exportPrivateKeyPem, exportSpki, generateKeyPair, type KeyAlgorithm } from "../pki/keys.ts";
import type { Usage } from "../pki/leaf-profile.ts";
import { mintLeaf, type AuthorityContext, type IssuedCertificate } from "./mint-leaf.ts";
import { authorizeNames, resolveCommonName, resolveTtl, type Principal } from "./policy.ts";

export interface IssueCertificateInput {
  hostnames: string[];
  usages: Usage[];
  key: KeyAlgorithm;
  ttl?: string | undefined;
  commonName?: string | undefined;
}

export async function issueCertificate(ctx: AuthorityContext, principal: Principal, input: IssueCertificateInput): Promise<IssuedCertificate> {
  const names = authorizeNames(principal, input.hostnames, "/hostnames");
  const ttlSeconds = resolveTtl(ctx.config, principal, input.ttl);
  const commonName = resolveCommonName(input.commonName, names);
  const keys = await generateKeyPair(input.key);
  const leaf = await mintLeaf(ctx, {
    names,
    commonName,
    usages: input.usages,
    ttlSeconds,
    publicKey: await exportSpki(keys.publicKey),
    publicKeyAlgorithm: input.key,
    keySource: "generated",
  });
  return { ...leaf, privateKey: await exportPrivateKeyPem(keys.privateKey) };
}
