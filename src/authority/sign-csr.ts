/**
 * Use case: sign a caller's CSR (POST /v1/certificates/sign), so the private
 * key never leaves the pipeline. Only the CSR's key and, when the request
 * names none, its requested SANs are used; every other requested attribute
 * or extension is ignored (a CSR asking for CA:TRUE still gets a leaf).
 */
import { ApiError } from "../errors.ts";
import { describeCsrProblem, parseCsr, type CsrProblem, type ParsedCsr } from "../pki/csr.ts";
import type { Usage } from "../pki/leaf-profile.ts";
import { mintLeaf, type AuthorityContext, type IssuedCertificate } from "./mint-leaf.ts";
import { authorizeNames, resolveCommonName, resolveTtl, type Principal } from "./policy.ts";

export interface SignCsrInput {
  csr: string;
  hostnames?: string[] | undefined;
  usages: Usage[];
  ttl?: string | undefined;
  commonName?: string | undefined;
  /** `csr` already parsed and checked by parseCsr (ACME finalize checks it first): not parsed and verified twice. */
  parsed?: ParsedCsr | undefined;
}

function csrError(problem: CsrProblem): ApiError {
  const detail = describeCsrProblem(problem);
  const errors = [{ pointer: "/csr", detail }];
  switch (problem.reason) {
    case "malformed":
      return new ApiError("invalid_csr", detail, { errors });
    case "bad_signature":
      return new ApiError("csr_signature_invalid", detail, { errors });
    case "unsupported_key":
      return new ApiError("unsupported_key", detail, { errors });
  }
}

export async function signCertificateRequest(ctx: AuthorityContext, principal: Principal, input: SignCsrInput): Promise<IssuedCertificate> {
  const parsed = input.parsed ? { ok: true as const, value: input.parsed } : await parseCsr(input.csr);
  if (!parsed.ok) throw csrError(parsed.error);
  const requested = input.hostnames ?? parsed.value.requestedNames;
  if (requested.length === 0) {
    throw new ApiError("no_names", "give hostnames in the request, or a subjectAltName extension in the CSR", { errors: [{ pointer: "/hostnames", detail: "required when the CSR has no subjectAltName" }] });
  }
  const names = authorizeNames(principal, requested, input.hostnames ? "/hostnames" : "/csr");
  const ttlSeconds = resolveTtl(ctx.config, principal, input.ttl);
  const commonName = resolveCommonName(input.commonName, names);
  return mintLeaf(ctx, {
    names,
    commonName,
    usages: input.usages,
    ttlSeconds,
    publicKey: parsed.value.publicKey,
    publicKeyAlgorithm: parsed.value.publicKeyAlgorithm,
    keySource: "csr",
  });
}
