/**
 * The shared tail of issuing and signing: compute validity, reserve a serial,
 * sign, parse the result back and check it against the profile, and package
 * the PEM bundle. Nothing leaves that failed the self-check.
 */
import type { Config } from "../config.ts";
import { ApiError } from "../errors.ts";
import { sha256Hex } from "../pki/bytes.ts";
import type { CertificateAuthority } from "../pki/certificate-authority.ts";
import { formatDuration } from "../pki/duration.ts";
import type { PublicKeyAlgorithm } from "../pki/keys.ts";
import { checkLeafCertificate, signLeafCertificate, type LeafTemplate, type Usage } from "../pki/leaf-profile.ts";
import type { SubjectName } from "../pki/names.ts";
import { encodePem } from "../pki/pem.ts";
import { computeValidity, randomSerialNumber } from "../pki/validity.ts";

export interface AuthorityContext {
  ca: CertificateAuthority;
  config: Config;
  now: Date;
}

/** A signed certificate with everything a caller needs to install it. */
export interface IssuedCertificate {
  serialNumber: string;
  /** The leaf alone. */
  certificate: string;
  /** tls.crt: the leaf followed by intermediates. */
  chain: string;
  /** tls.key, when edgeca generated the key. */
  privateKey?: string | undefined;
  /** ca.crt: the trust bundle. */
  ca: string;
  notBefore: Date;
  notAfter: Date;
  sha256Fingerprint: string;
  hostnames: string[];
  keyAlgorithm: PublicKeyAlgorithm;
  usages: Usage[];
}

export interface LeafRequest {
  names: SubjectName[];
  commonName: string | undefined;
  usages: Usage[];
  ttlSeconds: number;
  publicKey: Uint8Array;
  publicKeyAlgorithm: PublicKeyAlgorithm;
}

export async function mintLeaf(ctx: AuthorityContext, req: LeafRequest): Promise<Omit<IssuedCertificate, "privateKey">> {
  const validity = computeValidity(ctx.now, req.ttlSeconds, ctx.ca);
  if (!validity.ok) {
    const { caNotAfter, latestTtlSeconds } = validity.error;
    throw new ApiError(
      "ca_validity_exceeded",
      `the issuing CA expires at ${caNotAfter.toISOString()}; ask for a ttl of at most ${formatDuration(latestTtlSeconds)}, or rotate the CA`,
      { extensions: { ca_not_after: caNotAfter.toISOString() }, errors: [{ pointer: "/ttl", detail: `at most ${formatDuration(latestTtlSeconds)}` }] },
    );
  }
  const template: LeafTemplate = {
    serialNumber: randomSerialNumber(),
    names: req.names,
    commonName: req.commonName,
    usages: req.usages,
    publicKey: req.publicKey,
    publicKeyAlgorithm: req.publicKeyAlgorithm,
    notBefore: validity.value.notBefore,
    notAfter: validity.value.notAfter,
    crlDistributionPoint: ctx.config.publicUrl ? `${ctx.config.publicUrl}/v1/crl` : undefined,
  };
  const der = await signLeafCertificate(ctx.ca, template);
  const problems = await checkLeafCertificate(der, ctx.ca, template);
  if (problems.length > 0) {
    // A bug in edgeca, never the caller's fault: log what deviated, hand out nothing.
    throw new Error(`issued certificate failed the profile self-check: ${problems.join("; ")}`);
  }
  const certificate = encodePem("CERTIFICATE", der);
  return {
    serialNumber: toSerialHex(template.serialNumber),
    certificate,
    chain: certificate + ctx.ca.chainPem,
    ca: ctx.ca.trust.pem,
    notBefore: new Date(Math.floor(template.notBefore.getTime() / 1000) * 1000),
    notAfter: new Date(Math.floor(template.notAfter.getTime() / 1000) * 1000),
    sha256Fingerprint: await sha256Hex(der),
    hostnames: req.names.map((n) => n.value),
    keyAlgorithm: req.publicKeyAlgorithm,
    usages: req.usages,
  };
}

function toSerialHex(serial: Uint8Array): string {
  return Array.from(serial, (b) => b.toString(16).padStart(2, "0")).join("");
}
