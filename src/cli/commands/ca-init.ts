/**
 * `edgeca ca init` (also `npm run ca:init`): create a root CA, optionally
 * with an intermediate so the root key can stay offline, or import one;
 * check it exactly as the service will; write it to .dev.vars for local use
 * and print the `wrangler secret put` commands for deployment.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createIntermediateCa, createRootCa } from "../../pki/ca-certificate.ts";
import { describeCaProblem, loadCertificateAuthority } from "../../pki/certificate-authority.ts";
import type { KeyAlgorithm } from "../../pki/keys.ts";
import { parseCommand, type Io } from "../context.ts";
import { CliError, EXIT } from "../errors.ts";
import { readDevVars, writeDevVars, writeSecretFile } from "../dev-vars.ts";

const usage = (program: string) => `Usage: ${program} [options]

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
  --force                 replace a CA already in .dev.vars`;

const KEYS = ["ecdsa-p256", "ecdsa-p384", "rsa-2048", "rsa-3072", "rsa-4096"];

export async function caInitCommand(args: string[], io: Io, program = "edgeca ca init"): Promise<number> {
  const help = usage(program);
  const parsed = parseCommand(
    args,
    {
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
    },
    help,
    io,
  );
  if (!parsed) return EXIT.ok;
  const opts = parsed.values as Record<string, string | boolean | undefined>;
  const str = (k: string) => opts[k] as string;
  const fail = (message: string): never => {
    throw new CliError(message);
  };

  const outDir = str("out-dir");
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
    const read = (flag: string) => {
      try {
        return readFileSync(str(flag), "utf8");
      } catch (error) {
        return fail(`cannot read --${flag}: ${(error as Error).message}`);
      }
    };
    certPem = read("import-cert");
    keyPem = read("import-key");
    if (/BEGIN (EC|RSA) PRIVATE KEY/.test(keyPem)) {
      fail(`${str("import-key")} is a SEC1/PKCS#1 key; convert it to PKCS#8 first: openssl pkcs8 -topk8 -nocrypt -in ${str("import-key")} -out ca-key.pem`);
    }
    trustPem = opts["import-trust"] ? read("import-trust") : undefined;
  } else {
    if (!KEYS.includes(str("key"))) fail(`--key must be one of ${KEYS.join(", ")}`);
    const keyAlgorithm = str("key") as KeyAlgorithm;
    const rootYears = years(str("years"), "--years");
    const root = await createRootCa({
      subject: str("subject"),
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
          subject: str("intermediate-subject"),
          keyAlgorithm,
          notBefore,
          notAfter: new Date(now.getTime() + years(str("intermediate-years"), "--intermediate-years") * 365 * 86_400_000),
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
  if (!ca.ok) return fail(describeCaProblem(ca.error));

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

  if (parsed.globals.json) {
    io.stdout(
      JSON.stringify(
        {
          issuing_ca: { subject: ca.value.subject, key_algorithm: ca.value.keyAlgorithm, not_after: ca.value.notAfter.toISOString(), sha256_fingerprint: ca.value.fingerprint },
          trust: ca.value.trust.certificates,
          files: written,
        },
        null,
        2,
      ) + "\n",
    );
    return EXIT.ok;
  }
  const out: string[] = [];
  out.push(`Issuing CA: ${ca.value.subject}`);
  out.push(`  key ${ca.value.keyAlgorithm}, valid until ${ca.value.notAfter.toISOString()}`);
  out.push(`  SHA-256 fingerprint ${ca.value.fingerprint}`);
  out.push(`Trust bundle (ca.crt): ${ca.value.trust.certificates.map((c) => `${c.subject} [sha256:${c.sha256_fingerprint}]`).join("; ")}`);
  out.push(`Wrote:\n  ${written.join("\n  ")}`);
  if (existsSync(join(outDir, "intermediate.key"))) {
    out.push(`\nKeep ${outDir}/root.key offline: move it to a safe place and delete it here. Only the intermediate's key goes to the service.`);
  }
  out.push(`\nTo deploy, store the CA as Worker secrets:
  npx wrangler secret put CA_CERT < ${outDir}/ca-cert.pem
  npx wrangler secret put CA_KEY < ${outDir}/ca-key.pem${trustPem ? `\n  npx wrangler secret put CA_TRUST < ${outDir}/ca-trust.pem` : ""}`);
  out.push(`\nClients fetch ca.crt with: edgeca ca --out ca.crt --pin sha256:${ca.value.trust.certificates[0]?.sha256_fingerprint ?? ""}`);
  io.stdout(out.join("\n") + "\n");
  return EXIT.ok;
}
