/**
 * Keys and CSRs made on the caller's machine (WebCrypto, the same
 * src/pki code as the service), and reading an existing certificate for
 * renewal. The private key never leaves this process except into tls.key.
 */
import { X509Certificate } from "node:crypto";
import { fromHex } from "../pki/bytes.ts";
import { decodePem } from "../pki/pem.ts";
import { exportPrivateKeyPem, generateKeyPair, identifyPublicKey, importSigningKey, importVerifyKey, signingParams, type KeyAlgorithm, type PublicKeyAlgorithm } from "../pki/keys.ts";
import { x509 } from "../pki/x509.ts";
import { CliError } from "./errors.ts";

const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

/** A PKCS#10 request (RFC 2986) for `hostnames`, signed with `keys`. */
export async function createCsr(keys: CryptoKeyPair, alg: PublicKeyAlgorithm, hostnames: string[]): Promise<string> {
  const dns = hostnames.find((h) => !/^[\d.]+$|:/.test(h));
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: dns && dns.length <= 64 ? `CN=${dns}` : "",
    keys,
    signingAlgorithm: signingParams(alg),
    extensions: hostnames.length
      ? [new x509.SubjectAlternativeNameExtension(hostnames.map((h) => (/^[\d.]+$|:/.test(h) ? { type: "ip" as const, value: h } : { type: "dns" as const, value: h })))]
      : [],
  });
  return csr.toString("pem");
}

/** A fresh key pair and its PKCS#8 PEM. */
export async function newLocalKey(alg: KeyAlgorithm): Promise<{ keys: CryptoKeyPair; pem: string }> {
  const keys = await generateKeyPair(alg);
  return { keys, pem: await exportPrivateKeyPem(keys.privateKey) };
}

export interface CurrentCertificate {
  hostnames: string[];
  usage: ("server" | "client")[];
  notBefore: Date;
  notAfter: Date;
  keyAlgorithm: PublicKeyAlgorithm;
  spki: Uint8Array;
  serialNumber: string;
  fingerprint: string;
  /** The authorityKeyIdentifier's keyIdentifier, when present: with the serial, the certificate's ARI certID (RFC 9773 §4.1). */
  authorityKeyId: Uint8Array | undefined;
}

/** Reads the leaf (first certificate) of a tls.crt. */
export async function readCertificate(pem: string, file: string): Promise<CurrentCertificate> {
  const blocks = decodePem(pem);
  const first = blocks.ok ? blocks.value.find((b) => b.label === "CERTIFICATE") : undefined;
  if (!first) throw new CliError(`${file} holds no PEM certificate`);
  let cert: InstanceType<typeof x509.X509Certificate>;
  try {
    cert = new x509.X509Certificate(first.der);
  } catch (error) {
    throw new CliError(`${file}: the first certificate does not parse: ${(error as Error).message}`);
  }
  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  const hostnames = (san?.names.items ?? []).filter((n) => n.type === "dns" || n.type === "ip").map((n) => n.value);
  if (hostnames.length === 0) throw new CliError(`${file}: the certificate has no DNS or IP subjectAltName to renew`);
  const eku = cert.getExtension(x509.ExtendedKeyUsageExtension);
  const usages = (eku?.usages ?? [SERVER_AUTH]).map(String);
  const usage: ("server" | "client")[] = [];
  if (usages.includes(SERVER_AUTH)) usage.push("server");
  if (usages.includes(CLIENT_AUTH)) usage.push("client");
  const spki = new Uint8Array(cert.publicKey.rawData);
  const alg = await identifyPublicKey(spki);
  if (!alg.ok) throw new CliError(`${file}: unsupported public key (${alg.error})`);
  return {
    hostnames,
    usage: usage.length ? usage : ["server"],
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    keyAlgorithm: alg.value,
    spki,
    serialNumber: cert.serialNumber,
    fingerprint: new X509Certificate(first.der).fingerprint256.replace(/:/g, "").toLowerCase(),
    authorityKeyId: keyIdOf(cert),
  };
}

function keyIdOf(cert: InstanceType<typeof x509.X509Certificate>): Uint8Array | undefined {
  const keyId = cert.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId;
  return keyId && /^([0-9a-f]{2})+$/i.test(keyId) ? fromHex(keyId) : undefined;
}

/** Loads tls.key (PKCS#8) as the signing half of the certificate's key pair. */
export async function loadKeyPair(keyPem: string, file: string, current: CurrentCertificate): Promise<CryptoKeyPair> {
  if (/BEGIN (EC|RSA) PRIVATE KEY/.test(keyPem)) {
    throw new CliError(`${file} is a SEC1/PKCS#1 key; convert it to PKCS#8 first: openssl pkcs8 -topk8 -nocrypt -in ${file} -out ${file}.pk8`);
  }
  const blocks = decodePem(keyPem);
  const block = blocks.ok ? blocks.value.find((b) => b.label === "PRIVATE KEY") : undefined;
  if (!block) throw new CliError(`${file} holds no PKCS#8 private key (BEGIN PRIVATE KEY)`);
  try {
    return {
      privateKey: await importSigningKey(block.der, current.keyAlgorithm),
      publicKey: await importVerifyKey(current.spki, current.keyAlgorithm),
    };
  } catch (error) {
    throw new CliError(`${file}: not a ${current.keyAlgorithm} key matching the certificate (${(error as Error).message})`);
  }
}
