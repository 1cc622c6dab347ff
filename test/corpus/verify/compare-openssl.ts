/**
 * Runs `openssl verify -x509_strict` and our validatePath over every case of
 * test/fixtures/verify-corpus/cases.json and writes docs/verify-corpus.md:
 * the per-case table, how many cases each agrees with the expected verdict,
 * and why OpenSSL and edgeca differ where they do.
 *
 * Usage: npx tsx test/corpus/verify/compare-openssl.ts
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { existsSync } from "node:fs";
import { PATH_ERROR_CODES, PLAIN_WARNING_CODES, PROFILE_FINDING_CODES, PROFILE_RULES } from "../../../src/pki/path-validation.ts";
import { CORPUS_DIR, manifest, validateCase, type CorpusCase } from "./cases.ts";
import { GO_AUDIT, GO_EXCEPTIONS } from "./go-audit.ts";
import { parseIpAddress } from "../../../src/pki/names.ts";

const repo = fileURLToPath(new URL("../../../", import.meta.url));
const dir = CORPUS_DIR;
const tmp = mkdtempSync(join(tmpdir(), "verify-corpus-"));

/** Why OpenSSL's verdict differs from edgeca's for a case, keyed by case id. */
/** Where a profile rule applies, for the findings table (default: every certificate of the path). */
const PROFILE_SCOPE: Record<string, string> = {
  aki_missing: "every v3 certificate that is not self-issued",
  ski_missing: "CA certificates (cA TRUE)",
  self_signed_aki_invalid: "self-issued trust anchors and end entities",
  basic_constraints_not_critical: "CA certificates",
  ca_key_usage_missing: "CA certificates",
  end_entity_is_ca: "the leaf",
  name_constraints_in_end_entity: "certificates that are not CAs",
};

const EXPLANATIONS: Record<string, string> = {
  "host-trailing-dot": "A trailing dot marks an absolute DNS name; RFC 6125 §6.4.1 and Go compare without it. OpenSSL's X509_check_host does not strip it.",
  "host-ipv4-mapped": "Go's net.IP.Equal treats ::ffff:10.1.2.3 and 10.1.2.3 as the same address, so Kuma (Go) accepts it; OpenSSL compares 16 bytes with 4 and refuses. edgeca follows Go.",
  "host-cn-only": "OpenSSL falls back to the subject CN when the certificate has no DNS SAN (RFC 6125 §6.4.4 allows it); Go ≥ 1.15 never uses the CN, so Kuma would refuse. edgeca follows Go and warns cn_only_name.",
  "at-not-after": "RFC 5280 §4.1.2.5: the validity period includes notAfter, and Go accepts at == notAfter (it tests now.After(notAfter)); OpenSSL treats that second as expired.",
  "sig-ed448": "OpenSSL verifies Ed448; Go's crypto/x509 and WebCrypto do not support it, so Kuma could not use this chain.",
  "sig-rsa-sha224": "OpenSSL verifies SHA-224; Go's crypto/x509 has no SHA-224 RSA algorithm and WebCrypto has no SHA-224.",
  "sig-rsa-sha1": "OpenSSL 3.0 at security level 1 still accepts SHA-1 certificate signatures; Go has refused them since 1.18 (InsecureAlgorithmError), so Kuma refuses.",
  "sig-rsa-md5": "Go refuses MD5 signatures; this OpenSSL build's default security level still verifies them.",
  "sig-ecdsa-sha1": "As for RSA with SHA-1: Go refuses ecdsa-with-SHA1, OpenSSL at the default security level does not.",
  "sig-int-sha1": "The intermediate is signed with SHA-1: Go refuses, OpenSSL accepts at the default security level.",
  "root-v1": "OpenSSL -x509_strict requires an authorityKeyIdentifier in the leaf, which cannot point to a v1 root without a subjectKeyIdentifier. edgeca, like Go and RFC 5280 §6.1.1 (d), treats a trust anchor as a name and key and reports v1_trust_anchor as a warning.",
  "depth-9": "OpenSSL's default depth limit is 100; edgeca (like the issue's budget) stops at 8 certificates, so hostile or misbuilt chains cannot run away.",
  "eku-any": "OpenSSL's sslserver purpose requires serverAuth (or Netscape SGC) in a present EKU; anyExtendedKeyUsage does not count. RFC 5280 §4.2.1.12 and Go accept anyExtendedKeyUsage.",
  "ku-ecdsa-ke-only": "OpenSSL's sslserver purpose accepts keyEncipherment or keyAgreement alone; an ECDSA key can only sign in TLS 1.2 (ECDHE_ECDSA) and 1.3, so the certificate cannot complete a handshake. Go does not check keyUsage; edgeca reports it (RFC 5280 §4.2.1.3).",
  "ku-ecdsa-ka-only": "As above: static ECDH (keyAgreement) cipher suites are gone from TLS 1.3 and from Go and BoringSSL, so keyAgreement alone is unusable.",
  "sig-rsa-pss-salt0": "Go's crypto/x509 knows RSA-PSS only with a salt as long as the hash (any other is an unknown algorithm to it); OpenSSL verifies any salt.",
  "sig-rsa-pss-key": "Go's crypto/x509 does not read id-RSASSA-PSS public keys (RFC 4055), so the root cannot sign for it; OpenSSL can.",
  "pathlen-self-issued": "RFC 5280 §6.1.4 (l) does not count self-issued intermediates against pathLenConstraint and OpenSSL follows it; Go counts every intermediate, so Kuma refuses.",
  "nc-int-san-violation": "Go checks a CA's name constraints against the leaf and the CA itself, not the intermediates between; OpenSSL checks every certificate below (RFC 5280 §6.1.3 (b)).",
  "host-bare-star": "Go treats a bare \"*\" SAN as a valid pattern matching any one-label name; OpenSSL never matches it (and the name is outside the preferred syntax: finding dns_name_malformed, refused by `strict`).",
  "host-wildcard-trailing-dot": "As host-trailing-dot: Go ignores the trailing dot of the reference name, OpenSSL does not.",
  "host-mapped-san": "Go's net.IP.Equal: a 16-octet IPv4-mapped iPAddress SAN equals the IPv4 literal; OpenSSL compares the octets.",
  "nc-cn-only": "Go checks name constraints against subjectAltName entries only; OpenSSL also checks the subject CN of a leaf without DNS SANs.",
  "nc-own-san-violation": "Go checks a constrained CA's own SANs against its own constraints; OpenSSL applies a certificate's constraints only to the certificates below it.",
  "nc-dirname-non-critical": "Go does not handle directoryName constraints and, in a non-critical extension, ignores them; OpenSSL enforces them on the leaf's subject. edgeca warns name_constraints_not_checked, and `strict` refuses the non-critical nameConstraints.",
  "nc-ip-bad-length": "Go refuses to parse a certificate whose iPAddress constraint is not 8 or 32 octets, so the intermediate is unusable; OpenSSL accepts it (the leaf has no IP SAN).",
  "nc-ip-non-contiguous-mask": "Go refuses to parse a certificate whose iPAddress constraint mask is not contiguous; OpenSSL accepts it (the leaf has no IP SAN).",
  "ext-critical-san-dirname-only": "Go understands a subjectAltName only when it holds a DNS, email, IP or URI name; a critical one with only a directoryName is an unhandled critical extension to it. OpenSSL processes it.",
  "nc-email-subdomain": "RFC 5280 §4.2.1.10 reads an rfc822Name constraint \"example.com\" as that host only (\".example.com\" for subdomains), and OpenSSL follows it; Go matches it like a DNS constraint, subdomains included.",
  "eku-ca-any": "OpenSSL's sslclient purpose wants clientAuth in a CA's EKU and does not take anyExtendedKeyUsage; Go (and RFC 5280 §4.2.1.12) treat anyExtendedKeyUsage as no restriction.",
  "serial-negative": "RFC 5280 §4.1.2.2 requires a positive serial, and Go (≥ 1.23) refuses to parse a certificate with a negative one; OpenSSL accepts it.",
};

const FINDINGS: ReadonlySet<string> = new Set(PROFILE_FINDING_CODES);
const findingCodes = (issues: { code: string }[]) => [...new Set(issues.map((i) => i.code).filter((c) => FINDINGS.has(c)))].sort();
/** The Go oracle's last run (npm run verify:go-oracle), if any. */
const goOracle = existsSync(join(CORPUS_DIR, "go-oracle.json"))
  ? (JSON.parse(readFileSync(join(CORPUS_DIR, "go-oracle.json"), "utf8")) as { go: string; cases: number; parsed_by_go: number; agree: number; agree_parsed: number; rows: { id: string; go: { parsed: boolean; valid: boolean; error: string | null }; agree: boolean; exception: string | null }[] })
  : null;
const goRow = new Map((goOracle?.rows ?? []).map((r) => [r.id, r]));

function runOpenssl(c: CorpusCase): { ok: boolean; detail: string } {
  const roots = join(tmp, `${c.id}-roots.pem`);
  writeFileSync(roots, c.roots.map((p) => readFileSync(join(dir, p), "utf8")).join(""));
  const args = ["verify", "-x509_strict", "-attime", String(Math.floor(Date.parse(c.at) / 1000)), "-purpose", c.usage === "server" ? "sslserver" : "sslclient", "-CAfile", roots];
  if (c.intermediates.length > 0) {
    const ints = join(tmp, `${c.id}-ints.pem`);
    writeFileSync(ints, c.intermediates.map((p) => readFileSync(join(dir, p), "utf8")).join(""));
    args.push("-untrusted", ints);
  }
  if (c.hostname !== null) {
    const h = c.hostname.replace(/^\[(.*)\]$/, "$1");
    args.push(parseIpAddress(h) ? "-verify_ip" : "-verify_hostname", h);
  }
  args.push(join(dir, c.leaf));
  try {
    execFileSync("openssl", args, { stdio: ["ignore", "pipe", "pipe"] });
    return { ok: true, detail: "OK" };
  } catch (e) {
    const out = `${(e as { stdout?: Buffer }).stdout ?? ""}${(e as { stderr?: Buffer }).stderr ?? ""}`;
    const m = /error (\d+) at (\d+) depth lookup: ([^\n]+)/.exec(out);
    return { ok: false, detail: m ? `error ${m[1]} at depth ${m[2]}: ${m[3]}` : out.split("\n").find((l) => l.trim())?.trim() ?? "failed" };
  }
}

const rows: string[] = [];
let ours = 0;
let oursStrict = 0;
let theirs = 0;
const differ: { c: CorpusCase; openssl: string; edgeca: string }[] = [];
for (const c of manifest.cases) {
  const report = await validateCase(c, "go");
  const strict = await validateCase(c, "strict");
  const codes = report.errors.map((e) => e.code);
  const found = findingCodes(report.warnings);
  const pass = report.valid === c.expect.valid && (c.expect.error === null || codes.includes(c.expect.error as never)) && found.join() === c.expect.findings.join();
  if (pass) ours++;
  const strictPass = strict.valid === c.expect.strict_valid && findingCodes(strict.errors).join() === c.expect.findings.join();
  if (strictPass) oursStrict++;
  const o = runOpenssl(c);
  if (o.ok === c.expect.valid) theirs++;
  const edgeca = report.valid ? "valid" : [...new Set(codes)].join(", ");
  if (o.ok !== report.valid) differ.push({ c, openssl: o.detail, edgeca });
  const expected = c.expect.valid ? "valid" : `invalid: ${c.expect.error}`;
  const g = goRow.get(c.id);
  const goCell = !g ? "—" : `${g.agree ? "✅" : g.exception ? "≠ (exception)" : "❌"} ${g.go.valid ? "valid" : g.go.parsed ? "invalid" : "cannot parse"}`;
  const findingsCell = c.expect.findings.length ? c.expect.findings.map((f) => `\`${f}\``).join(", ") : "";
  rows.push(`| \`${c.id}\` | ${c.description} | ${expected} | ${pass ? "✅" : "❌"} ${edgeca} | ${findingsCell} | ${strictPass ? "✅" : "❌"} ${c.expect.strict_valid ? "valid" : "invalid"} | ${goCell} | ${o.ok === c.expect.valid ? "✅" : "≠"} ${o.detail} |`);
}
rmSync(tmp, { recursive: true, force: true });

const total = manifest.cases.length;
const agree = total - differ.length;
const goSummary = goOracle
  ? `- Go oracle (\`npm run verify:go-oracle\`, ${goOracle.go}, standard library \`crypto/x509\`): the \`go\` profile agrees with Go on **${goOracle.agree} / ${goOracle.cases}** cases (**${goOracle.agree_parsed} / ${goOracle.parsed_by_go}** where Go can parse the leaf; on the ${goOracle.cases - goOracle.parsed_by_go} others Go's verdict is "invalid" and edgeca's too). Exceptions: ${Object.entries(GO_EXCEPTIONS).map(([id, why]) => `\`${id}\`: ${why}`).join(" ")}`
  : "- Go oracle: not run on this machine (`npm run verify:go-oracle` needs Go).";
const doc = `# Path validation corpus

The corpus in \`test/fixtures/verify-corpus/\` is made by \`test/corpus/verify/generate.sh\`
with the OpenSSL CLI alone (${manifest.openssl}). Every certificate has fixed validity dates and
every case a fixed validation time, so the corpus does not rot. \`test/unit/verify-corpus.test.ts\`
runs \`validatePath\` (\`src/pki/path-validation.ts\`) over it in CI under both profiles; this page is
written by \`npx tsx test/corpus/verify/compare-openssl.ts\`, which also runs, for each case,

\`\`\`
openssl verify -x509_strict -attime <epoch> -purpose sslserver|sslclient \\
  [-verify_hostname <name> | -verify_ip <ip>] -CAfile <roots> [-untrusted <intermediates>] <leaf>
\`\`\`

and folds in the last run of the Go oracle (\`test/corpus/verify/go-oracle/main.go\`, run by
\`npm run verify:go-oracle\`, not by \`npm test\`): \`x509.ParseCertificate\` and \`Certificate.Verify\` with the
case's time, DNS name and key usage, pools built as Kuma builds them (unparseable pool certificates skipped).

## Profiles

- **\`go\`** (default): \`valid\` is the verdict of Go's \`crypto/x509\` (\`Verify\`, \`VerifyHostname\`), what Kuma's
  control plane and \`kumactl\` run. RFC 5280 §4 profile defects Go accepts are reported in \`warnings\`, each with a
  stable code, the certificate's index and the RFC clause.
- **\`strict\`**: the same findings are errors, so \`valid\` is false for any of them: a pipeline can require a chain
  that stricter relying parties (rustls/webpki, OpenSSL \`-x509_strict\`, pyca/cryptography, CA linters) accept too.

## Results

- Cases: **${total}** (${manifest.cases.filter((c) => c.expect.valid).length} valid under \`go\`, ${manifest.cases.filter((c) => !c.expect.valid).length} invalid; ${manifest.cases.filter((c) => c.expect.strict_valid).length} valid under \`strict\`; ${manifest.cases.filter((c) => c.expect.findings.length > 0).length} with profile findings).
- edgeca \`go\` profile: **${ours} / ${total}** give the expected verdict, error code and exact set of findings.
- edgeca \`strict\` profile: **${oursStrict} / ${total}** give the expected verdict with the findings as errors.
${goSummary}
- \`openssl verify -x509_strict\`: **${theirs} / ${total}** give the expected (\`go\`) verdict; edgeca and OpenSSL agree in
  **${agree} / ${total}** cases; the ${differ.length} differences are explained below.

The Go oracle is Debian's Go (${goOracle?.go ?? "golang-go 1.19"}). Kuma builds with a newer Go; where the two differ
the \`go\` profile follows the newer one (negative serials: refused since Go 1.23) and the audit table says so
(RSA keys under 1024 bits: refused since Go 1.24, edgeca only warns; certificate policies: validated since Go 1.22,
not processed here; no corpus case depends on those two).

## Audit: every rule against Go's crypto/x509

| Rule | RFC 5280 clause | Go \`crypto/x509\` | edgeca (\`go\` profile) |
|---|---|---|---|
${GO_AUDIT.map((r) => `| ${r.join(" | ")} |`).join("\n")}

## Profile findings (warnings under \`go\`, errors under \`strict\`)

| Code | RFC clause | Checked on |
|---|---|---|
${PROFILE_RULES.map((r) => `| \`${r.code}\` | RFC 5280 ${r.clause} | ${PROFILE_SCOPE[r.code] ?? "every certificate of the path"} |`).join("\n")}
| \`key_usage_invalid\` | RFC 5280 §4.2.1.3, RFC 8446 §4.4.3 | the leaf: its keyUsage cannot do TLS with its key type and role (Go ignores the leaf's keyUsage) |
| \`extension_body_invalid\` | RFC 5280 §4.1, §4.2 and the extension's clause | every certificate: an extension body Go reads past (trailing bytes, keyUsage with no bit, empty EKU or extensions, extra basicConstraints element, GeneralSubtree minimum/maximum) |
| \`empty_san\` | RFC 5280 §4.2.1.6 | every certificate: a subjectAltName with no name |
| \`extensions_require_v3\` | RFC 5280 §4.1.2.9 | every certificate: extensions in a v1/v2 certificate (ignored, as Go ignores them) |
| \`unique_ids_require_v2\` | RFC 5280 §4.1.2.8 | every certificate: unique identifiers in a v1 certificate |

The same checks run in the issuance self-check (an issued leaf with any finding is not handed out) and on
\`CA_CERT\`/\`CA_TRUST\` at load (\`GET /healthz\` lists them as \`profile_findings\`; not fatal).

## Where OpenSSL and edgeca differ

| Case | OpenSSL | edgeca | Why |
|---|---|---|---|
${differ.map((d) => `| \`${d.c.id}\` | ${d.openssl} | ${d.edgeca} | ${EXPLANATIONS[d.c.id] ?? explainByPattern(d.c, d.openssl)} |`).join("\n")}

## Codes

Errors: ${PATH_ERROR_CODES.map((c) => `\`${c}\``).join(", ")}.

Profile findings: ${PROFILE_FINDING_CODES.map((c) => `\`${c}\``).join(", ")}.

Other warnings: ${PLAIN_WARNING_CODES.map((c) => `\`${c}\``).join(", ")}.

## All cases

| Case | Description | Expected (\`go\`) | edgeca \`go\` | Findings | edgeca \`strict\` | Go ${goOracle?.go.replace(/^go version /, "").replace(/ .*/, "") ?? ""} | openssl verify -x509_strict |
|---|---|---|---|---|---|---|---|
${rows.join("\n")}
`;

function explainByPattern(c: CorpusCase, openssl: string): string {
  if (c.expect.valid && c.expect.findings.length > 0) {
    return `Profile finding ${c.expect.findings.map((f) => `\`${f}\``).join(", ")}: Go accepts the chain, so the \`go\` profile is valid with a warning; OpenSSL -x509_strict refuses it, as edgeca's \`strict\` profile does.`;
  }
  return `(unexplained: ${c.description}; OpenSSL: ${openssl})`;
}

writeFileSync(join(repo, "docs/verify-corpus.md"), doc);
console.log(`edgeca go ${ours}/${total}, strict ${oursStrict}/${total}, openssl ${theirs}/${total}, agreement ${agree}/${total}`);
for (const d of differ) console.log(`${d.c.id}: openssl=${d.openssl} edgeca=${d.edgeca}`);
