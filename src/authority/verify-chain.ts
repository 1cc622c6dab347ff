/**
 * Use case: would Kuma (Go's crypto/x509) accept this chain for this name,
 * and if not, why (POST /v1/verify). Parses the PEM input strictly (a 400
 * names the block at fault), runs the pure RFC 5280 §6 validator, and adds
 * revocation status for leaves this service issued.
 */
import { ApiError } from "../errors.ts";
import { issuerIdentity } from "../pki/certificate-authority.ts";
import { decodePem, describePemProblem } from "../pki/pem.ts";
import { parseCertificateDerCached, PATH_ERROR_CODES_ALL, validatePath, type CertificateUsage, type PathValidationReport, type VerifyProfile } from "../pki/path-validation.ts";
import type { Ledger } from "../store/types.ts";

/** Limits so hostile input cannot run away (RFC 5280 leaves these to implementations). */
export const MAX_CHAIN_CERTIFICATES = 16;
export const MAX_ROOT_CERTIFICATES = 32;
/** Larger than any sane certificate (a 4096-bit RSA leaf with 100 names is under 6 KiB). */
export const MAX_CERTIFICATE_BYTES = 16 * 1024;

export const VERIFY_ERROR_CODES = [...PATH_ERROR_CODES_ALL, "revoked"] as const;

export interface VerifyChainInput {
  chain: string;
  roots?: string | undefined;
  hostname?: string | undefined;
  usage: CertificateUsage;
  at: Date;
  profile?: VerifyProfile | undefined;
}

export interface VerifyReport extends Omit<PathValidationReport, "errors"> {
  errors: { code: (typeof VERIFY_ERROR_CODES)[number]; message: string; index: number | null; revoked_at?: string; revocation_reason?: string }[];
}

/** Decodes a PEM list of certificates, or throws a 400 naming the block that failed and why. */
function certificatesFromPem(text: string, field: "chain" | "roots", max: number): Uint8Array[] {
  const pointer = `/${field}`;
  const blocks = decodePem(text, max);
  if (!blocks.ok) {
    const code = blocks.error.reason === "too_many_blocks" ? "validation_failed" : "invalid_pem";
    throw new ApiError(code, `${field}: ${describePemProblem(blocks.error)}`, { errors: [{ pointer, detail: describePemProblem(blocks.error) }], extensions: { block: blocks.error.index } });
  }
  return blocks.value.map((b) => {
    if (b.label !== "CERTIFICATE") {
      const detail = `PEM block ${b.index} is ${b.label}, expected CERTIFICATE`;
      throw new ApiError("invalid_certificate", `${field}: ${detail}`, { errors: [{ pointer, detail }], extensions: { block: b.index } });
    }
    if (b.der.length > MAX_CERTIFICATE_BYTES) {
      const detail = `PEM block ${b.index} is ${b.der.length} bytes; certificates are limited to ${MAX_CERTIFICATE_BYTES}`;
      throw new ApiError("invalid_certificate", `${field}: ${detail}`, { errors: [{ pointer, detail }], extensions: { block: b.index } });
    }
    const parsed = parseCertificateDerCached(b.der);
    if (!parsed.ok) {
      const detail = `PEM block ${b.index}: ${parsed.error.message}`;
      throw new ApiError("invalid_certificate", `${field}: ${detail}`, { errors: [{ pointer, detail }], extensions: { block: b.index } });
    }
    return b.der;
  });
}

export async function verifyChain(
  ctx: { ledger: Ledger | null; defaultRoots: () => Promise<string> },
  input: VerifyChainInput,
): Promise<VerifyReport> {
  const chain = certificatesFromPem(input.chain, "chain", MAX_CHAIN_CERTIFICATES);
  const roots = input.roots !== undefined ? certificatesFromPem(input.roots, "roots", MAX_ROOT_CERTIFICATES) : certificatesFromPem(await ctx.defaultRoots(), "roots", MAX_ROOT_CERTIFICATES);
  const report = await validatePath({
    leaf: chain[0]!,
    intermediates: chain.slice(1),
    roots,
    at: input.at,
    usage: input.usage,
    profile: input.profile ?? "go",
    ...(input.hostname !== undefined ? { hostname: input.hostname } : {}),
  });
  const result: VerifyReport = { ...report, errors: [...report.errors] };
  await addRevocation(ctx.ledger, result, input.at, chain[0]!);
  return result;
}

/** Reports `revoked` when this service issued the leaf (same serial and issuer) and revoked it before `at`. */
async function addRevocation(ledger: Ledger | null, report: VerifyReport, at: Date, leafDer: Uint8Array): Promise<void> {
  const leaf = report.chain[0];
  const issuer = report.chain[1];
  if (!ledger || !leaf || !issuer || leaf.trust_anchor) return;
  // The leaf names its CA by issuer name and authorityKeyIdentifier: that identity also finds it when the
  // chain was built with another certificate of the same CA (re-certified with the same subject and key).
  let identity: string | null = null;
  const parsed = parseCertificateDerCached(leafDer);
  const aki = parsed.ok ? parsed.value.extensions.authorityKeyId : undefined;
  if (parsed.ok && aki) identity = await issuerIdentity(parsed.value.issuerRaw, aki);
  const record = await ledger.revocation({ fingerprint: issuer.sha256_fingerprint, identity }, leaf.serial_number.padStart(32, "0"));
  if (!record) return;
  if (new Date(record.revoked_at) > at) return;
  report.valid = false;
  report.errors.push({
    code: "revoked",
    message: `the certificate was revoked at ${record.revoked_at} (reason ${record.revocation_reason}); it is listed in this service's CRL (RFC 5280 §5.3)`,
    index: 0,
    revoked_at: record.revoked_at,
    revocation_reason: record.revocation_reason ?? "unspecified",
  });
}
