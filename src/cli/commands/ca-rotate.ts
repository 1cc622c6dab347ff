/**
 * `edgeca ca rotate`: rotate the CA in three phases of secret changes
 * (publish → switch → retire), with the service's ledger saying when the
 * last one is safe.
 *   plan    make the next root and/or intermediate under <dir>/next/ (offline:
 *           the current files are only read) and print each phase's commands
 *   status  GET /v1/ca/status as a table
 *   check   exit 0 when a phase is safe now (retire: nothing depends on the old CA)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { X509Certificate } from "node:crypto";
import { createIntermediateCa, createRootCa } from "../../pki/ca-certificate.ts";
import { describeCaProblem, loadCaSet, loadCertificateAuthority } from "../../pki/certificate-authority.ts";
import type { CaStatusReport } from "../../pki/ca-status.ts";
import { KEY_ALGORITHMS, type KeyAlgorithm } from "../../pki/keys.ts";
import { x509 } from "../../pki/x509.ts";
import { parseCommand, type Io } from "../context.ts";
import { CliError, EXIT, usageError } from "../errors.ts";
import { writeSecretFile } from "../dev-vars.ts";

const HELP = `Usage: edgeca ca rotate plan [--new-root | --intermediate-only] [options]
       edgeca ca rotate status [--at TIME]
       edgeca ca rotate check --phase retire [--at TIME]

A rotation is three phases, each a change of Worker secrets:
  1. publish  the next root joins CA_TRUST; relying parties fetch the bundle (old and new root)
  2. switch   CA_CERT/CA_KEY become the next CA; the old one moves to CA_PREVIOUS_CERT/CA_PREVIOUS_KEY
  3. retire   once nothing active depends on the old CA: CA_PREVIOUS_* removed, the old root leaves CA_TRUST
Rotating only the intermediate under the same root needs no relying-party change: publish is empty.

plan (offline; reads the current CA from --dir, writes only --dir/next/):
  --new-root               a new root and, if the current CA has one, a new intermediate (default)
  --intermediate-only      a new intermediate under the current root (needs --root-key)
  --dir DIR                the CA files of \`edgeca ca init\` (default .edgeca): ca-cert.pem, ca-key.pem, ca.crt
  --root-cert FILE         the current root (default DIR/root.crt), for --intermediate-only
  --root-key FILE          its private key (default DIR/root.key): bring it from offline storage
  --key ALG                ecdsa-p256 (default), ecdsa-p384, rsa-2048, rsa-3072, rsa-4096
  --subject DN             the next root's subject (default "CN=edgeca root CA <YYYY-MM>")
  --intermediate-subject DN  (default "CN=edgeca issuing CA <YYYY-MM>")
  --years N, --intermediate-years N   lifetimes (default 10 and 5)
status, check (talk to the service; token with scope read):
  --at TIME                evaluate at an RFC 3339 time instead of now (what will have expired by then)
  --phase retire           check: exit 0 when retiring is safe, 6 while something depends on the old CA

Exit codes: 0 done / safe, 6 check: not safe yet, 1 failed, 2 usage error.`;

const month = (d: Date) => d.toISOString().slice(0, 7);

export async function caRotateCommand(args: string[], io: Io): Promise<number> {
  const parsed = parseCommand(
    args,
    {
      "new-root": { type: "boolean", default: false },
      "intermediate-only": { type: "boolean", default: false },
      dir: { type: "string", default: ".edgeca" },
      "root-cert": { type: "string" },
      "root-key": { type: "string" },
      key: { type: "string" },
      subject: { type: "string" },
      "intermediate-subject": { type: "string" },
      years: { type: "string", default: "10" },
      "intermediate-years": { type: "string", default: "5" },
      at: { type: "string" },
      phase: { type: "string" },
    },
    HELP,
    io,
    true,
  );
  if (!parsed) return EXIT.ok;
  const [action, ...extra] = parsed.positionals;
  if (extra.length > 0) throw usageError(`unexpected ${JSON.stringify(extra.join(" "))}\n\n${HELP}`);
  const v = parsed.values as Record<string, string | boolean | undefined>;
  switch (action) {
    case "plan":
      return plan(v, io, parsed.globals.json);
    case "status":
    case "check": {
      const at = v.at as string | undefined;
      if (at !== undefined && Number.isNaN(Date.parse(at))) throw usageError("--at must be an RFC 3339 time such as 2027-01-31T00:00:00Z");
      if (action === "check" && v.phase !== "retire") {
        throw usageError("check needs --phase retire (publish and switch depend on relying parties edgeca cannot see: confirm them with the runbook in docs/kuma.md)");
      }
      const report = (await parsed.globals.client().request(`/v1/ca/status${at ? `?at=${encodeURIComponent(at)}` : ""}`)).json<CaStatusReport>();
      if (action === "status") {
        io.stdout(parsed.globals.json ? JSON.stringify(report, null, 2) + "\n" : statusTable(report));
        return EXIT.ok;
      }
      if (parsed.globals.json) io.stdout(JSON.stringify({ phase: "retire", ...report.retire }, null, 2) + "\n");
      if (report.retire.safe) {
        if (!parsed.globals.json) io.stdout(`retire: safe at ${report.at}: no active certificate depends on a CA outside the issuing chain\n`);
        return EXIT.ok;
      }
      io.stderr(`edgeca: retire is not safe at ${report.at}:\n${report.retire.blocking.map((b) => `  ${b}`).join("\n")}\n`);
      return EXIT.notSafe;
    }
    default:
      throw usageError(`${action === undefined ? "missing" : `unknown`} action: plan, status or check\n\n${HELP}`);
  }
}

/** One line per CA: role, served, active / renewed, latest notAfter, retirable, subject; then the warnings. */
export function statusTable(r: CaStatusReport): string {
  const rows = [["ROLE", "SERVED", "ACTIVE", "RENEWED", "LAST NOT AFTER", "RETIRE", "SHA-256", "SUBJECT"]];
  for (const c of r.cas) {
    rows.push([c.role, c.served ? "yes" : "no", String(c.active_certificates), String(c.renewed_certificates), c.latest_not_after?.slice(0, 19) ?? "-", c.safe_to_retire ? "safe" : "no", c.sha256_fingerprint.slice(0, 16), c.subject ?? "(not configured)"]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const lines = rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  "));
  lines.push("", `retire: ${r.retire.safe ? "safe" : "not safe"} (at ${r.at})`, ...r.retire.blocking.map((b) => `  ${b}`));
  for (const c of r.cas) if (!c.safe_to_retire && c.reason) lines.push(`  ${c.role} ${c.subject ?? c.sha256_fingerprint}: ${c.reason}`);
  if (r.warnings.length) lines.push("", "warnings:", ...r.warnings.map((w) => `  ${w.code}: ${w.message}`));
  return lines.join("\n") + "\n";
}

async function plan(v: Record<string, string | boolean | undefined>, io: Io, json: boolean): Promise<number> {
  if (v["new-root"] && v["intermediate-only"]) throw usageError("--new-root and --intermediate-only exclude each other");
  const dir = v.dir as string;
  const next = join(dir, "next");
  const read = (path: string, what: string) => {
    if (!existsSync(path)) throw new CliError(`${path} not found (${what}); run \`edgeca ca init\` first or pass --dir`);
    return readFileSync(path, "utf8");
  };
  const currentCertPath = join(dir, "ca-cert.pem");
  const currentKeyPath = join(dir, "ca-key.pem");
  const currentCert = read(currentCertPath, "CA_CERT");
  const currentKey = read(currentKeyPath, "CA_KEY");
  const currentTrust = read(join(dir, "ca.crt"), "the served trust bundle");
  const now = new Date();
  const current = await loadCertificateAuthority({ certPem: currentCert, keyPem: currentKey, trustPem: currentTrust }, now);
  if (!current.ok) throw new CliError(`the current CA in ${dir} does not load: ${describeCaProblem(current.error)}`);
  if (existsSync(join(next, "ca-cert.pem"))) throw new CliError(`${next} already holds a plan: finish or remove it first`);

  const keyAlgorithm = (v.key as string | undefined) ?? (KEY_ALGORITHMS.includes(current.value.keyAlgorithm as KeyAlgorithm) ? current.value.keyAlgorithm : "ecdsa-p256");
  if (!KEY_ALGORITHMS.includes(keyAlgorithm as KeyAlgorithm) || keyAlgorithm === "ed25519") throw usageError("--key must be ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072 or rsa-4096");
  const alg = keyAlgorithm as KeyAlgorithm;
  const years = (flag: string) => {
    const n = Number(v[flag]);
    if (!Number.isInteger(n) || n < 1 || n > 30) throw usageError(`--${flag} must be a whole number of years from 1 to 30`);
    return new Date(now.getTime() + n * 365 * 86_400_000);
  };
  const notBefore = new Date(now.getTime() - 5 * 60_000);
  const intermediateSubject = (v["intermediate-subject"] as string | undefined) ?? `CN=edgeca issuing CA ${month(now)}`;
  mkdirSync(next, { recursive: true, mode: 0o700 });
  const written: string[] = [];

  // The CA that signs the next intermediate (the current root, or the new one), if there is to be one.
  let parent: { certificate: InstanceType<typeof x509.X509Certificate>; privateKey: CryptoKey; keyAlgorithm: KeyAlgorithm; pem: string } | null = null;
  let newRootPem: string | null = null;
  let certPem = "";
  let keyPem = "";
  if (v["intermediate-only"]) {
    const rootPem = read((v["root-cert"] as string | undefined) ?? join(dir, "root.crt"), "the current root, --root-cert");
    const rootKeyPem = read((v["root-key"] as string | undefined) ?? join(dir, "root.key"), "the current root's key, --root-key");
    // The root is checked like an issuing CA (key match, CA, keyCertSign); the switch check below proves it is the served one.
    const root = await loadCertificateAuthority({ certPem: rootPem, keyPem: rootKeyPem }, now);
    if (!root.ok) throw new CliError(`the root in --root-cert/--root-key does not load: ${describeCaProblem(root.error)}`);
    parent = { certificate: new x509.X509Certificate(root.value.der), privateKey: root.value.signingKey, keyAlgorithm: root.value.keyAlgorithm as KeyAlgorithm, pem: rootPem };
  } else {
    const root = await createRootCa({ subject: (v.subject as string | undefined) ?? `CN=edgeca root CA ${month(now)}`, keyAlgorithm: alg, notBefore, notAfter: years("years") }).catch((e: Error) => {
      throw new CliError(`cannot create the root: ${e.message}`);
    });
    newRootPem = root.certificatePem;
    writeFileSync(join(next, "root.crt"), root.certificatePem);
    writeSecretFile(join(next, "root.key"), root.privateKeyPem);
    written.push(`${next}/root.crt`, `${next}/root.key (0600: keep it offline)`);
    certPem = root.certificatePem;
    keyPem = root.privateKeyPem;
    // Mirror the current shape: an intermediate under the root when the current issuing CA is one.
    if (current.value.chainPem !== "") parent = { certificate: root.certificate, privateKey: root.keys.privateKey, keyAlgorithm: alg, pem: root.certificatePem };
  }
  if (parent) {
    const inter = await createIntermediateCa(parent, { subject: intermediateSubject, keyAlgorithm: alg, notBefore, notAfter: years("intermediate-years") }).catch((e: Error) => {
      throw new CliError(`cannot create the intermediate: ${e.message}`);
    });
    writeFileSync(join(next, "intermediate.crt"), inter.certificatePem);
    writeSecretFile(join(next, "intermediate.key"), inter.privateKeyPem);
    written.push(`${next}/intermediate.crt`, `${next}/intermediate.key (0600)`);
    certPem = inter.certificatePem + parent.pem;
    keyPem = inter.privateKeyPem;
  }

  const publishTrust = newRootPem ? currentTrust + newRootPem : currentTrust;
  const retireTrust = newRootPem ?? currentTrust;
  // Check every phase's secrets exactly as the service will load them.
  const phases = {
    switch: { certPem, keyPem, trustPem: publishTrust, previousCertPem: currentCert, previousKeyPem: currentKey },
    retire: { certPem, keyPem, trustPem: retireTrust },
  };
  for (const [name, material] of Object.entries(phases)) {
    const set = await loadCaSet(material, now);
    if (!set.ok) throw new CliError(`the ${name} phase would not load: ${describeCaProblem(set.error)}`);
  }
  writeFileSync(join(next, "ca-cert.pem"), certPem);
  writeSecretFile(join(next, "ca-key.pem"), keyPem);
  writeFileSync(join(next, "ca-trust-publish.pem"), publishTrust);
  writeFileSync(join(next, "ca-trust-retire.pem"), retireTrust);
  // `wrangler secret bulk` changes every secret of the switch in one deployment: one `secret put` at a time
  // would run CA_CERT with the old CA_KEY in between (503 ca_invalid).
  writeSecretFile(
    join(next, "switch.json"),
    JSON.stringify({ CA_CERT: certPem, CA_KEY: keyPem, CA_TRUST: publishTrust, CA_PREVIOUS_CERT: currentCert, CA_PREVIOUS_KEY: currentKey }, null, 2) + "\n",
  );
  written.push(`${next}/ca-cert.pem (next CA_CERT)`, `${next}/ca-key.pem (next CA_KEY, 0600)`, `${next}/ca-trust-publish.pem`, `${next}/ca-trust-retire.pem`, `${next}/switch.json (0600)`);

  const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256.replace(/:/g, "").toLowerCase();
  const nextCa = await loadCertificateAuthority({ certPem, keyPem, trustPem: retireTrust }, now);
  if (!nextCa.ok) throw new CliError(describeCaProblem(nextCa.error));
  if (json) {
    io.stdout(
      JSON.stringify(
        {
          kind: newRootPem ? "new-root" : "intermediate-only",
          next_issuing_ca: { subject: nextCa.value.subject, sha256_fingerprint: nextCa.value.fingerprint, not_after: nextCa.value.notAfter.toISOString() },
          next_root_sha256: newRootPem ? fingerprint(newRootPem) : null,
          files: written,
        },
        null,
        2,
      ) + "\n",
    );
    return EXIT.ok;
  }
  const out: string[] = [];
  out.push(`Next issuing CA: ${nextCa.value.subject} (sha256:${nextCa.value.fingerprint}), valid until ${nextCa.value.notAfter.toISOString()}`);
  out.push(`Wrote:\n  ${written.join("\n  ")}`);
  if (newRootPem) {
    out.push(`
Phase 1, publish: serve the old and the new root; issuance is unchanged.
  npx wrangler secret put CA_TRUST < ${next}/ca-trust-publish.pem
Then every relying party refreshes its ca.crt (docs/kuma.md, "Rotating the CA") and you confirm:
  edgeca ca --out ca.crt --pin sha256:${fingerprint(newRootPem)}`);
  } else {
    out.push(`
Phase 1, publish: nothing to do. The next intermediate chains to the root relying parties already trust,
so no ca.crt, caBundle or KDS root changes in this rotation.`);
  }
  out.push(`
Phase 2, switch: the next CA issues; the current one stays as CA_PREVIOUS_* to sign its CRL.
  npx wrangler secret bulk ${next}/switch.json
(one deployment: with \`wrangler secret put\` one secret at a time, CA_CERT and CA_KEY would disagree in between;
 the same secrets one by one: CA_CERT < ${next}/ca-cert.pem, CA_KEY < ${next}/ca-key.pem,
 CA_PREVIOUS_CERT < ${currentCertPath}, CA_PREVIOUS_KEY < ${currentKeyPath}${newRootPem ? `, CA_TRUST < ${next}/ca-trust-publish.pem` : ""})
Then renew the control plane certificates (edgeca renew) and watch: edgeca ca rotate status`);
  out.push(`
Phase 3, retire: when \`edgeca ca rotate check --phase retire\` exits 0 (every certificate of the old CA revoked or expired):
  npx wrangler secret delete CA_PREVIOUS_KEY
  npx wrangler secret delete CA_PREVIOUS_CERT${newRootPem ? `\n  npx wrangler secret put CA_TRUST < ${next}/ca-trust-retire.pem` : ""}
Then move ${next}/* over the current files in ${dir}${newRootPem ? " and relying parties drop the old root (edgeca ca --out ca.crt --pin the new root)" : ""}.`);
  io.stdout(out.join("\n") + "\n");
  return EXIT.ok;
}
