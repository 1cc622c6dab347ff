/**
 * `edgeca verify`: POST /v1/verify and print a readable verdict. Exit 0
 * only when the chain is valid.
 */
import { readFileSync } from "node:fs";
import { oneOf, parseCommand, type Io } from "../context.ts";
import { CliError, EXIT, usageError } from "../errors.ts";

const HELP = `Usage: edgeca verify --chain tls.crt [--hostname NAME] [--ca ca.crt] [--usage server|client] [--at TIME] [--strict]

Would a Go client (Kuma's CP, kumactl, a zone CP) accept this chain? Path validation by the service
(RFC 5280 §6, names per RFC 6125), plus revocation status from its ledger. RFC 5280 §4 profile defects
Go accepts are warnings; --strict makes them errors.

  --chain FILE         the leaf first, then intermediates (tls.crt)
  --hostname NAME      the DNS name or IP clients connect with
  --ca FILE            the trust anchors (default: the service's own ca.crt)
  --usage USAGE        server (default) or client
  --at TIME            validate at an RFC 3339 time instead of now (e.g. 2026-12-01T00:00:00Z)
  --strict             the strict profile: RFC 5280 §4 profile findings are errors (rustls/webpki, OpenSSL
                       -x509_strict and CA linters refuse many of them)

Exit codes: 0 valid, 4 not valid, 1 failed (could not ask), 2 usage error.`;

interface Report {
  valid: boolean;
  errors: { code: string; message: string; index: number | null }[];
  warnings: { code: string; message: string; index: number | null }[];
  chain: { subject?: string; sha256_fingerprint?: string }[];
}

function read(file: string, flag: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new CliError(`cannot read ${flag}: ${(error as Error).message}`);
  }
}

export async function verifyCommand(args: string[], io: Io): Promise<number> {
  const parsed = parseCommand(
    args,
    { chain: { type: "string" }, hostname: { type: "string" }, ca: { type: "string" }, usage: { type: "string" }, at: { type: "string" }, strict: { type: "boolean" } },
    HELP,
    io,
  );
  if (!parsed) return EXIT.ok;
  const { values, globals: g } = parsed;
  const chainFile = values.chain as string | undefined;
  if (!chainFile) throw usageError(`--chain is required\n\n${HELP}`);
  const body = {
    chain: read(chainFile, "--chain"),
    ...(values.ca ? { roots: read(values.ca as string, "--ca") } : {}),
    ...(values.hostname ? { hostname: values.hostname } : {}),
    usage: oneOf(values.usage, ["server", "client"] as const, "--usage") ?? "server",
    ...(values.at ? { at: values.at } : {}),
    ...(values.strict ? { profile: "strict" } : {}),
  };
  const report = (await g.client().request("/v1/verify", { method: "POST", body })).json<Report>();
  if (g.json) {
    io.stdout(JSON.stringify({ ...report, exit_code: report.valid ? EXIT.ok : EXIT.invalid }, null, 2) + "\n");
  } else {
    const target = [values.hostname ? `for ${values.hostname}` : undefined, `as a ${body.usage} certificate`, values.at ? `at ${values.at}` : undefined, values.strict ? "(strict profile)" : undefined].filter(Boolean).join(" ");
    const path = report.chain.map((c) => c.subject ?? "?").join(" ← ");
    io.stdout(`${report.valid ? "VALID" : "NOT VALID"}: ${chainFile} ${target}${path ? `\n  path: ${path}` : ""}\n`);
    const where = (i: number | null) => (i === null ? "" : ` [certificate ${i}]`);
    for (const e of report.errors) io.stdout(`  error ${e.code}${where(e.index)}: ${e.message}\n`);
    for (const w of report.warnings) io.stdout(`  warning ${w.code}${where(w.index)}: ${w.message}\n`);
  }
  return report.valid ? EXIT.ok : EXIT.invalid;
}
