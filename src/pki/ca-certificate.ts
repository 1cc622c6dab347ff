/**
 * CA certificates for `ca:init`: a self-signed root and, optionally, an
 * intermediate signed by it so the root key can stay offline.
 *
 * Profile (RFC 5280 §4.2.1.9, §4.2.1.3; CA/B BR §7.1.2.1): basicConstraints
 * CA:TRUE critical (pathLen 0 on the intermediate); keyUsage keyCertSign and
 * cRLSign (+ digitalSignature, so it can sign OCSP responses later), critical;
 * subject and authority key identifiers.
 */
import { toHex } from "./bytes.ts";
import { exportPrivateKeyPem, signingParams, webCryptoParams, type KeyAlgorithm } from "./keys.ts";
import { encodePem } from "./pem.ts";
import { randomSerialNumber } from "./validity.ts";
import { x509 } from "./x509.ts";

export interface CaKeyAndCertificate {
  certificatePem: string;
  privateKeyPem: string;
  certificate: InstanceType<typeof x509.X509Certificate>;
  keys: CryptoKeyPair;
}

export interface CaCertificateOptions {
  /** RFC 4514 distinguished name, e.g. "CN=Example Mesh Root CA,O=Example". */
  subject: string;
  keyAlgorithm: KeyAlgorithm;
  notBefore: Date;
  notAfter: Date;
  /** An existing key pair (extractable) to certify again; a new one by default. */
  keys?: CryptoKeyPair;
}

async function generateCaKeys(alg: KeyAlgorithm): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey(webCryptoParams(alg) as never, true, ["sign", "verify"])) as CryptoKeyPair;
}

/**
 * An RFC 4514 string as a Name: its first RDN is the last of the encoded sequence (§2.1), so
 * "CN=Example Mesh Root CA,O=Example" encodes O then CN, the conventional order, and prints back
 * exactly as written (name-text.ts). @peculiar/x509 parses a string in written order; reverse it.
 */
function nameFromRfc4514(text: string): InstanceType<typeof x509.Name> {
  return new x509.Name(new x509.Name(text).toJSON().reverse());
}

const CA_KEY_USAGE = x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature;

async function finish(cert: InstanceType<typeof x509.X509Certificate>, keys: CryptoKeyPair): Promise<CaKeyAndCertificate> {
  return {
    certificatePem: encodePem("CERTIFICATE", new Uint8Array(cert.rawData)),
    privateKeyPem: await exportPrivateKeyPem(keys.privateKey),
    certificate: cert,
    keys,
  };
}

/** Creates a self-signed root CA. */
export async function createRootCa(options: CaCertificateOptions): Promise<CaKeyAndCertificate> {
  const keys = options.keys ?? (await generateCaKeys(options.keyAlgorithm));
  const ski = await x509.SubjectKeyIdentifierExtension.create(keys.publicKey);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: toHex(randomSerialNumber()),
    name: nameFromRfc4514(options.subject),
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    keys,
    signingAlgorithm: signingParams(options.keyAlgorithm),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(CA_KEY_USAGE, true),
      ski,
      new x509.AuthorityKeyIdentifierExtension(ski.keyId, false),
    ],
  });
  return finish(cert, keys);
}

/** Creates an intermediate CA signed by `issuer` (pathLen 0: it issues leaves only). */
export async function createIntermediateCa(
  issuer: { certificate: InstanceType<typeof x509.X509Certificate>; privateKey: CryptoKey; keyAlgorithm: KeyAlgorithm },
  options: CaCertificateOptions,
): Promise<CaKeyAndCertificate> {
  const keys = options.keys ?? (await generateCaKeys(options.keyAlgorithm));
  const issuerSki = issuer.certificate.getExtension(x509.SubjectKeyIdentifierExtension) ?? (await x509.SubjectKeyIdentifierExtension.create(issuer.certificate.publicKey));
  const notAfter = options.notAfter > issuer.certificate.notAfter ? issuer.certificate.notAfter : options.notAfter;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: toHex(randomSerialNumber()),
    subject: nameFromRfc4514(options.subject),
    issuer: issuer.certificate.subjectName,
    notBefore: options.notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: issuer.privateKey,
    signingAlgorithm: signingParams(issuer.keyAlgorithm),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(CA_KEY_USAGE, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      new x509.AuthorityKeyIdentifierExtension(issuerSki.keyId, false),
    ],
  });
  return finish(cert, keys);
}
