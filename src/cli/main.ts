/**
 * The `edgeca` command line: dispatch to a command, turn every failure into
 * one readable line on stderr (and {"error": …} on stdout with --json), and
 * return the exit code. bin/edgeca.js loads this through tsx on Node 20.
 */
import { GLOBAL_HELP, GLOBAL_OPTIONS, type Io } from "./context.ts";
import { CliError, EXIT } from "./errors.ts";
import { VERSION } from "./version.ts";

export const HELP = `edgeca ${VERSION}: TLS certificates for Kuma / Kong Mesh control planes from an edgeca service

Usage: edgeca <command> [options]

Commands:
  issue          get a certificate: tls.crt, tls.key (0600), ca.crt, or a Secret / Helm values / env
  renew          re-issue a certificate that expires within a window (files, or a Kubernetes Secret in place)
  ca             fetch the trust bundle (ca.crt), optionally pinned to a fingerprint
  verify         ask the service whether a chain is valid for a name and usage
  ca init        create or import the CA (writes .edgeca/ and .dev.vars)
  ca rotate      rotate the CA: plan (offline), status, check --phase retire
  token create   make an API token and its API_TOKENS entry
  acme eab       an External Account Binding for certbot, lego, cert-manager (ACME, docs/acme.md)

Run edgeca <command> --help for a command's options. Docs: docs/kuma.md (one recipe per Kuma override).

${GLOBAL_HELP}
  --version            print the version

Exit codes:
  0  success (issued, renewed, fetched, valid)
  1  failed: the service refused (its problem code is shown), network error after retries, file error
  2  usage error
  3  renew: not due, nothing done
  4  verify: the chain is not valid
  5  ca --pin: no certificate in the trust bundle has a pinned fingerprint
  6  ca rotate check: the phase is not safe yet`;

type Command = (args: string[], io: Io) => Promise<number>;

// Commands load lazily: @peculiar/x509 and WebCrypto key code cost ~0.5 s of startup that
// `ca`, `verify`, --help and --version do not need.
const issueCommand: Command = async (a, io) => (await import("./commands/issue.ts")).issueCommand(a, io);
const renewCommand: Command = async (a, io) => (await import("./commands/renew.ts")).renewCommand(a, io);
const verifyCommand: Command = async (a, io) => (await import("./commands/verify.ts")).verifyCommand(a, io);
const caCommand: Command = async (a, io) => (await import("./commands/ca.ts")).caCommand(a, io);
const caRotateCommand: Command = async (a, io) => (await import("./commands/ca-rotate.ts")).caRotateCommand(a, io);
const caInitCommand: Command = async (a, io) => (await import("./commands/ca-init.ts")).caInitCommand(a, io);
const tokenCreateCommand: Command = async (a, io) => (await import("./commands/token-create.ts")).tokenCreateCommand(a, io);
const acmeEabCommand: Command = async (a, io) => (await import("./commands/acme-eab.ts")).acmeEabCommand(a, io);

/** Global options that take a value, so the command can be found after them (edgeca --url U issue …). */
const VALUED = new Set(Object.entries(GLOBAL_OPTIONS).filter(([, o]) => o.type === "string").map(([k]) => `--${k}`));

function positionalIndexes(argv: string[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") break;
    if (a.startsWith("-")) {
      if (VALUED.has(a)) i++;
      continue;
    }
    out.push(i);
    if (out.length === 2) break;
  }
  return out;
}

export async function run(argv: string[], io: Io): Promise<number> {
  const json = argv.includes("--json");
  try {
    const [first, second] = positionalIndexes(argv);
    const name = first === undefined ? undefined : argv[first];
    if (name === undefined) {
      if (argv.includes("--version") || argv.includes("-v")) {
        io.stdout(json ? JSON.stringify({ version: VERSION, node: process.versions.node }) + "\n" : `edgeca ${VERSION}\n`);
        return EXIT.ok;
      }
      if (argv.includes("--help") || argv.includes("-h")) {
        io.stdout(HELP + "\n");
        return EXIT.ok;
      }
      io.stderr(HELP + "\n");
      return EXIT.usage;
    }
    const sub = second === undefined ? undefined : argv[second];
    const rest = (...drop: (number | undefined)[]) => argv.filter((_, i) => !drop.includes(i));
    let command: Command | undefined;
    let args = rest(first);
    switch (name) {
      case "issue":
        command = issueCommand;
        break;
      case "renew":
        command = renewCommand;
        break;
      case "verify":
        command = verifyCommand;
        break;
      case "ca":
        if (sub === "init") {
          command = caInitCommand;
          args = rest(first, second);
        } else if (sub === "rotate") {
          command = caRotateCommand;
          args = rest(first, second);
        } else command = caCommand;
        break;
      case "token":
        if (sub === "create") {
          command = tokenCreateCommand;
          args = rest(first, second);
        }
        break;
      case "acme":
        if (sub === "eab") {
          command = acmeEabCommand;
          args = rest(first, second);
        }
        break;
      case "help":
        io.stdout(HELP + "\n");
        return EXIT.ok;
    }
    if (!command) {
      io.stderr(`edgeca: unknown command ${JSON.stringify([name, sub].filter(Boolean).join(" "))}\n\n${HELP}\n`);
      return EXIT.usage;
    }
    if (args.includes("--version")) {
      io.stdout(`edgeca ${VERSION}\n`);
      return EXIT.ok;
    }
    return await command(args, io);
  } catch (error) {
    if (error instanceof CliError) {
      io.stderr(`edgeca: ${error.message}\n`);
      if (json) io.stdout(JSON.stringify({ error: { message: error.message.split("\n\n")[0], exit_code: error.exitCode, ...error.details } }, null, 2) + "\n");
      return error.exitCode;
    }
    // A bug: say so plainly, with the stack for the report.
    io.stderr(`edgeca: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
    if (json) io.stdout(JSON.stringify({ error: { message: String((error as Error)?.message ?? error), exit_code: EXIT.failed, code: "internal" } }) + "\n");
    return EXIT.failed;
  }
}

/** The process entry: real stdio and environment. */
export async function main(argv = process.argv.slice(2)): Promise<void> {
  const io: Io = { stdout: (t) => process.stdout.write(t), stderr: (t) => process.stderr.write(t), env: process.env };
  process.exitCode = await run(argv, io);
}
