/**
 * `npm run ca:init`: create a root CA (optionally with an intermediate, so
 * the root key can stay offline) or import an existing one, check it exactly
 * as the service will, write it to .dev.vars for local use and print the
 * `wrangler secret put` commands for deployment.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createIntermediateCa, createRootCa } from "../src/pki/ca-certificate.ts";
import { describeCaProblem, loadCertificateAuthority } from "../src/pki/certificate-authority.ts";
import type { KeyAlgorithm } from "../src/pki/keys.ts";
import { readDevVars, writeDevVars, writeSecretFile } from "./lib/dev-vars.ts";

const USAGE = `Usage: npm run ca:init -- [options]

Create a CA:
  --subject DN            root subject, RFC 4514 (default "CN=edgeca root CA")
  --key ALG               ecdsa-p256 (default), ecdsa-p384, rsa-2048, rsa-3072, rsa-4096
  --years N               root lifetime in years (default 10)
  --intermediate          also create an intermediate that signs leaves; keep root.key offline
  --intermediate-subject DN   (default "CN=edgeca issuing CA")
  --intermediate-years N  (default 5)
Or import one ("a PKI of your choice"):
  --import-cert FILE      issuing certificate first, then intermediates, optionally the root
  --import-key FILE       the issuing CA's private key, PKCS#8 PEM (BEGIN PRIVATE KEY)
  --import-trust FILE     the root(s) relying parties trust, if not at the end of --import-cert
Output:
  --out-dir DIR           where to write PEM files (default .edgeca)
  --no-dev-vars           do not write .dev.vars
  --force                 replace a CA already in .dev.vars
`;

const KEYS = ["ecdsa-p256", "ecdsa-p384", "rsa-2048", "rsa-3072", "rsa-4096"];

function fail(message: string): never {
  console.error(`ca:init: ${message}`);
  process.exit(1);
}

const { values: opts } = parseArgs({
  options: {
    subject: { type: "string", default: "CN=edgeca root CA" },
    key: { type: "string", default: "ecdsa-p256" },
    years: { type: "string", default: "10" },
    intermediate: { type: "boolean", default: false },
    "intermediate-subject": { type: "string", default: "CN=edgeca issuing CA" },
    "intermediate-years": { type: "string", default: "5" },
    "import-cert": { type: "string" },
    "import-key": { type: "string" },
    "import-trust": { type: "string" },
    "out-dir": { type: "string", default: ".edgeca" },
    "no-dev-vars": { type: "boolean", default: false },
    force: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
  strict: true,
});
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}

const outDir = opts["out-dir"]!;
const devVarsPath = ".dev.vars";
const vars = readDevVars(devVarsPath);
if (!opts["no-dev-vars"] && vars.get("CA_CERT") && !opts.force) {
  fail(`${devVarsPath} already holds a CA; pass --force to replace it (issued certificates will no longer chain to ca.crt)`);
}
mkdirSync(outDir, { recursive: true, mode: 0o700 });

const years = (text: string, flag: string) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 30) fail(`${flag} must be a whole number of years from 1 to 30`);
  return n;
};

let certPem: string;
let keyPem: string;
let trustPem: string | undefined;
const written: string[] = [];
const now = new Date();
const notBefore = new Date(now.getTime() - 5 * 60_000);

if (opts["import-cert"] || opts["import-key"]) {
  if (!opts["import-cert"] || !opts["import-key"]) fail("--import-cert and --import-key go together");
  certPem = readFileSync(opts["import-cert"], "utf8");
  keyPem = readFileSync(opts["import-key"], "utf8");
  if (/BEGIN (EC|RSA) PRIVATE KEY/.test(keyPem)) {
    fail(`${opts["import-key"]} is a SEC1/PKCS#1 key; convert it to PKCS#8 first: openssl pkcs8 -topk8 -nocrypt -in ${opts["import-key"]} -out ca-key.pem`);
  }
  trustPem = opts["import-trust"] ? readFileSync(opts["import-trust"], "utf8") : undefined;
} else {
  if (!KEYS.includes(opts.key!)) fail(`--key must be one of ${KEYS.join(", ")}`);
  const keyAlgorithm = opts.key as KeyAlgorithm;
  const rootYears = years(opts.years!, "--years");
  const root = await createRootCa({
    subject: opts.subject!,
    keyAlgorithm,
    notBefore,
    notAfter: new Date(now.getTime() + rootYears * 365 * 86_400_000),
  }).catch((e: Error) => fail(`cannot create the root: ${e.message}`));
  writeFileSync(join(outDir, "root.crt"), root.certificatePem);
  writeSecretFile(join(outDir, "root.key"), root.privateKeyPem);
  written.push(`${outDir}/root.crt`, `${outDir}/root.key (0600)`);
  if (opts.intermediate) {
    const inter = await createIntermediateCa(
      { certificate: root.certificate, privateKey: root.keys.privateKey, keyAlgorithm },
      {
        subject: opts["intermediate-subject"]!,
        keyAlgorithm,
        notBefore,
        notAfter: new Date(now.getTime() + years(opts["intermediate-years"]!, "--intermediate-years") * 365 * 86_400_000),
      },
    ).catch((e: Error) => fail(`cannot create the intermediate: ${e.message}`));
    writeFileSync(join(outDir, "intermediate.crt"), inter.certificatePem);
    writeSecretFile(join(outDir, "intermediate.key"), inter.privateKeyPem);
    written.push(`${outDir}/intermediate.crt`, `${outDir}/intermediate.key (0600)`);
    certPem = inter.certificatePem + root.certificatePem;
    keyPem = inter.privateKeyPem;
  } else {
    certPem = root.certificatePem;
    keyPem = root.privateKeyPem;
  }
}

const ca = await loadCertificateAuthority({ certPem, keyPem, trustPem }, now);
if (!ca.ok) fail(describeCaProblem(ca.error));

writeFileSync(join(outDir, "ca-cert.pem"), certPem);
writeSecretFile(join(outDir, "ca-key.pem"), keyPem);
writeFileSync(join(outDir, "ca.crt"), ca.value.trust.pem);
written.push(`${outDir}/ca-cert.pem (CA_CERT)`, `${outDir}/ca-key.pem (CA_KEY, 0600)`, `${outDir}/ca.crt (the trust bundle)`);
if (trustPem) {
  writeFileSync(join(outDir, "ca-trust.pem"), trustPem);
  written.push(`${outDir}/ca-trust.pem (CA_TRUST)`);
}

if (!opts["no-dev-vars"]) {
  vars.set("CA_CERT", certPem);
  vars.set("CA_KEY", keyPem);
  if (trustPem) vars.set("CA_TRUST", trustPem);
  else vars.delete("CA_TRUST");
  writeDevVars(devVarsPath, vars);
  written.push(`${devVarsPath} (local secrets for npm start)`);
}

console.log(`Issuing CA: ${ca.value.certificate.subject}`);
console.log(`  key ${ca.value.keyAlgorithm}, valid until ${ca.value.notAfter.toISOString()}`);
console.log(`  SHA-256 fingerprint ${ca.value.fingerprint}`);
console.log(`Trust bundle (ca.crt): ${ca.value.trust.certificates.map((c) => `${c.subject} [sha256:${c.sha256_fingerprint}]`).join("; ")}`);
console.log(`Wrote:\n  ${written.join("\n  ")}`);
if (existsSync(join(outDir, "intermediate.key"))) {
  console.log(`\nKeep ${outDir}/root.key offline: move it to a safe place and delete it here. Only the intermediate's key goes to the service.`);
}
console.log(`\nTo deploy, store the CA as Worker secrets:
  npx wrangler secret put CA_CERT < ${outDir}/ca-cert.pem
  npx wrangler secret put CA_KEY < ${outDir}/ca-key.pem${trustPem ? `\n  npx wrangler secret put CA_TRUST < ${outDir}/ca-trust.pem` : ""}`);
