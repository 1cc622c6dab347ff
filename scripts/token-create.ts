/**
 * `npm run token:create`: make an API token. Prints the token once (it is
 * not stored anywhere) and the API_TOKENS entry holding only its SHA-256.
 */
import { parseArgs } from "node:util";
import { parseDuration } from "../src/pki/duration.ts";
import { compileNamePolicy } from "../src/pki/name-policy.ts";
import { createToken } from "../src/store/secret-tokens.ts";
import { SCOPES, type Scope } from "../src/store/types.ts";
import { readDevVars, writeDevVars } from "./lib/dev-vars.ts";

const USAGE = `Usage: npm run token:create -- --name NAME --scopes SCOPE[,SCOPE] --allow PATTERN [--allow PATTERN …] [--max-ttl 30d] [--dev-vars]

  --name      who uses the token, e.g. zone-a-pipeline (recorded with every issuance)
  --scopes    ${SCOPES.join(", ")} (admin implies all)
  --allow     names the token may get certificates for: cp.example.com (exact),
              *.example.com (one label), .example.com (any depth), 10.0.0.0/8 (IP CIDR), * (anything)
  --max-ttl   longest certificate lifetime for this token
  --dev-vars  also add the entry to .dev.vars for npm start
`;

function fail(message: string): never {
  console.error(`token:create: ${message}\n\n${USAGE}`);
  process.exit(1);
}

const { values: opts } = parseArgs({
  options: {
    name: { type: "string" },
    scopes: { type: "string", multiple: true },
    allow: { type: "string", multiple: true },
    "max-ttl": { type: "string" },
    "dev-vars": { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
  strict: true,
});
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}
if (!opts.name || !/^[A-Za-z0-9._-]{1,64}$/.test(opts.name)) fail("--name is required: 1-64 letters, digits, '.', '_' or '-'");
const scopes = (opts.scopes ?? []).flatMap((s) => s.split(",")).map((s) => s.trim()).filter(Boolean);
if (scopes.length === 0) fail("--scopes is required");
for (const s of scopes) if (!SCOPES.includes(s as Scope)) fail(`unknown scope ${JSON.stringify(s)}`);
const allow = opts.allow ?? [];
if (allow.length === 0 && scopes.some((s) => s === "issue" || s === "sign" || s === "admin")) fail("--allow is required for tokens that issue or sign");
const policy = compileNamePolicy(allow);
if (!policy.ok) fail(`invalid --allow pattern ${JSON.stringify(policy.error.pattern)}`);
if (opts["max-ttl"] && !parseDuration(opts["max-ttl"]).ok) fail("--max-ttl must be a duration such as 30d or 720h");

const { token, entry } = await createToken(opts.name, [...new Set(scopes)] as Scope[], allow, opts["max-ttl"]);

console.log(`Token (shown once; store it in your pipeline's secret store):\n\n  ${token}\n`);
console.log(`API_TOKENS entry (holds only the SHA-256 of the token):\n\n  ${JSON.stringify(entry)}\n`);
console.log("Add the entry to the JSON array in the API_TOKENS secret, then: npx wrangler secret put API_TOKENS");
if (opts["dev-vars"]) {
  const vars = readDevVars(".dev.vars");
  let list: { name: string }[] = [];
  try {
    const parsed: unknown = JSON.parse(vars.get("API_TOKENS") ?? "[]");
    if (Array.isArray(parsed)) list = parsed;
  } catch {
    fail(".dev.vars has an API_TOKENS value that is not JSON");
  }
  vars.set("API_TOKENS", JSON.stringify([...list.filter((e) => e.name !== entry.name), entry]));
  writeDevVars(".dev.vars", vars);
  console.log(`Added to .dev.vars; restart npm start to load it.`);
}
