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
import { validatePath, PATH_ERROR_CODES, PATH_WARNING_CODES } from "../../../src/pki/path-validation.ts";
import { CORPUS_DIR, corpusDer, manifest, type CorpusCase } from "./cases.ts";
import { parseIpAddress } from "../../../src/pki/names.ts";

const repo = fileURLToPath(new URL("../../../", import.meta.url));
const dir = CORPUS_DIR;
const tmp = mkdtempSync(join(tmpdir(), "verify-corpus-"));

/** Why OpenSSL's verdict differs from edgeca's for a case, keyed by case id. */
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
  "serial-negative": "RFC 5280 §4.1.2.2 requires a positive serial, and Go (≥ 1.23) refuses to parse a certificate with a negative one; OpenSSL accepts it.",
};

const der = corpusDer;

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
let theirs = 0;
const differ: { c: CorpusCase; openssl: string; edgeca: string }[] = [];
for (const c of manifest.cases) {
  const report = await validatePath({
    leaf: der(c.leaf),
    intermediates: c.intermediates.map(der),
    roots: c.roots.map(der),
    at: new Date(c.at),
    ...(c.hostname !== null ? { hostname: c.hostname } : {}),
    usage: c.usage,
  });
  const codes = report.errors.map((e) => e.code);
  const pass = report.valid === c.expect.valid && (c.expect.error === null || codes.includes(c.expect.error as never));
  if (pass) ours++;
  const o = runOpenssl(c);
  if (o.ok === c.expect.valid) theirs++;
  const edgeca = report.valid ? "valid" : [...new Set(codes)].join(", ");
  if (o.ok !== report.valid) differ.push({ c, openssl: o.detail, edgeca });
  const expected = c.expect.valid ? "valid" : `invalid: ${c.expect.error}`;
  rows.push(`| \`${c.id}\` | ${c.description} | ${expected} | ${pass ? "✅" : "❌"} ${edgeca} | ${o.ok === c.expect.valid ? "✅" : "≠"} ${o.detail} |`);
}
rmSync(tmp, { recursive: true, force: true });

const total = manifest.cases.length;
const agree = total - differ.length;
const doc = `# Path validation corpus

The corpus in \`test/fixtures/verify-corpus/\` is made by \`test/corpus/verify/generate.sh\`
with the OpenSSL CLI alone (${manifest.openssl}). Every certificate has fixed validity dates and
every case a fixed validation time, so the corpus does not rot. \`test/unit/verify-corpus.test.ts\`
runs \`validatePath\` (\`src/pki/path-validation.ts\`) over it in CI; this page is written by
\`npx tsx test/corpus/verify/compare-openssl.ts\`, which also runs, for each case,

\`\`\`
openssl verify -x509_strict -attime <epoch> -purpose sslserver|sslclient \\
  [-verify_hostname <name> | -verify_ip <ip>] -CAfile <roots> [-untrusted <intermediates>] <leaf>
\`\`\`

## Results

- Cases: **${total}** (${manifest.cases.filter((c) => c.expect.valid).length} valid, ${manifest.cases.filter((c) => !c.expect.valid).length} invalid).
- edgeca \`validatePath\`: **${ours} / ${total}** give the expected verdict and error code.
- \`openssl verify -x509_strict\`: **${theirs} / ${total}** give the expected verdict.
- edgeca and OpenSSL agree on the verdict in **${agree} / ${total}** cases; the ${differ.length} differences are explained below.

The expected verdicts follow RFC 5280 §6 and RFC 6125 and, where those leave a choice, Go's
\`crypto/x509\` (what Kuma runs): see each difference.

## Where OpenSSL and edgeca differ

| Case | OpenSSL | edgeca | Why |
|---|---|---|---|
${differ.map((d) => `| \`${d.c.id}\` | ${d.openssl} | ${d.edgeca} | ${EXPLANATIONS[d.c.id] ?? explainByPattern(d.c, d.openssl)} |`).join("\n")}

## Codes

Errors: ${PATH_ERROR_CODES.map((c) => `\`${c}\``).join(", ")}.

Warnings: ${PATH_WARNING_CODES.map((c) => `\`${c}\``).join(", ")}.

## All cases

| Case | Description | Expected | edgeca | openssl verify -x509_strict |
|---|---|---|---|---|
${rows.join("\n")}
`;

function explainByPattern(c: CorpusCase, openssl: string): string {
  return `(unexplained: ${c.description}; OpenSSL: ${openssl})`;
}

writeFileSync(join(repo, "docs/verify-corpus.md"), doc);
console.log(`edgeca ${ours}/${total}, openssl ${theirs}/${total}, agreement ${agree}/${total}`);
for (const d of differ) console.log(`${d.c.id}: openssl=${d.openssl} edgeca=${d.edgeca}`);
