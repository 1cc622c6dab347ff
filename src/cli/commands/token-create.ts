/**
 * `edgeca token create` (also `npm run token:create`): make an API token.
 * Prints the token once (it is not stored anywhere) and the API_TOKENS entry
 * holding only its SHA-256.
 */
import { parseDuration } from "../../pki/duration.ts";
import { compileNamePolicy } from "../../pki/name-policy.ts";
import { createToken } from "../../store/secret-tokens.ts";
import { SCOPES, type Scope } from "../../store/types.ts";
import { listOption, parseCommand, type Io } from "../context.ts";
import { CliError, EXIT, usageError } from "../errors.ts";
import { readDevVars, writeDevVars } from "../dev-vars.ts";

const usage = (program: string) => `Usage: ${program} --name NAME --scopes SCOPE[,SCOPE] --allow PATTERN [--allow PATTERN …] [--max-ttl 30d] [--dev-vars]

  --name      who uses the token, e.g. zone-a-pipeline (recorded with every issuance)
  --scopes    ${SCOPES.join(", ")} (admin implies all)
  --allow     names the token may get certificates for: cp.example.com (exact),
              *.example.com (one label), .example.com (any depth), 10.0.0.0/8 (IP CIDR), * (anything)
  --max-ttl   longest certificate lifetime for this token
  --dev-vars  also add the entry to .dev.vars for npm start`;

export async function tokenCreateCommand(args: string[], io: Io, program = "edgeca token create"): Promise<number> {
  const help = usage(program);
  const parsed = parseCommand(
    args,
    {
      name: { type: "string" },
      scopes: { type: "string", multiple: true },
      allow: { type: "string", multiple: true },
      "max-ttl": { type: "string" },
      "dev-vars": { type: "boolean", default: false },
    },
    help,
    io,
  );
  if (!parsed) return EXIT.ok;
  const opts = parsed.values;
  const bad = (message: string): never => {
    throw usageError(`${message}\n\n${help}`);
  };
  const name = opts.name as string | undefined;
  if (!name || !/^[A-Za-z0-9._-]{1,64}$/.test(name)) bad("--name is required: 1-64 letters, digits, '.', '_' or '-'");
  const scopes = listOption(opts.scopes);
  if (scopes.length === 0) bad("--scopes is required");
  for (const s of scopes) if (!SCOPES.includes(s as Scope)) bad(`unknown scope ${JSON.stringify(s)}`);
  const allow = (opts.allow as string[] | undefined) ?? [];
  if (allow.length === 0 && scopes.some((s) => s === "issue" || s === "sign" || s === "admin")) bad("--allow is required for tokens that issue or sign");
  const policy = compileNamePolicy(allow);
  if (!policy.ok) bad(`invalid --allow pattern ${JSON.stringify(policy.error.pattern)}`);
  const maxTtl = opts["max-ttl"] as string | undefined;
  if (maxTtl && !parseDuration(maxTtl).ok) bad("--max-ttl must be a duration such as 30d or 720h");

  const { token, entry } = await createToken(name!, [...new Set(scopes)] as Scope[], allow, maxTtl);

  let addedToDevVars = false;
  if (opts["dev-vars"]) {
    const vars = readDevVars(".dev.vars");
    let list: { name: string }[] = [];
    try {
      const existing: unknown = JSON.parse(vars.get("API_TOKENS") ?? "[]");
      if (Array.isArray(existing)) list = existing;
    } catch {
      throw new CliError(".dev.vars has an API_TOKENS value that is not JSON");
    }
    vars.set("API_TOKENS", JSON.stringify([...list.filter((e) => e.name !== entry.name), entry]));
    writeDevVars(".dev.vars", vars);
    addedToDevVars = true;
  }
  if (parsed.globals.json) {
    io.stdout(JSON.stringify({ token, entry, dev_vars: addedToDevVars }, null, 2) + "\n");
    return EXIT.ok;
  }
  io.stdout(`Token (shown once; store it in your pipeline's secret store):\n\n  ${token}\n\n`);
  io.stdout(`API_TOKENS entry (holds only the SHA-256 of the token):\n\n  ${JSON.stringify(entry)}\n\n`);
  io.stdout("Add the entry to the JSON array in the API_TOKENS secret, then: npx wrangler secret put API_TOKENS\n");
  if (addedToDevVars) io.stdout("Added to .dev.vars; restart npm start to load it.\n");
  return EXIT.ok;
}
