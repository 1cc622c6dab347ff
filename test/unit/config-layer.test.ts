/**
 * The configuration layer (src/config.ts and src/config/): the only reader of
 * the environment, importing nothing above src/pki; each part parsed once per
 * isolate for the same inputs and reporting its own misconfiguration without
 * breaking the others.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseApiTokens } from "../../src/config/api-tokens.ts";
import { caSetFrom } from "../../src/config/ca.ts";
import { configFromEnv, type Env } from "../../src/config.ts";
import { toHex } from "../../src/pki/bytes.ts";
import { createRootCa } from "../../src/pki/ca-certificate.ts";

const ROOT = resolve(import.meta.dirname, "../..");
const SRC = join(ROOT, "src");

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

const isConfigLayer = (rel: string) => rel === "src/config.ts" || rel.startsWith("src/config/");
/** src/index.ts, src/app.ts and src/deps.ts hand the bindings to configFromEnv; the CLI is a separate program with its own environment. */
const WIRING = new Set(["src/index.ts", "src/app.ts", "src/deps.ts"]);

/** Reads of the environment in a module's text: a member of something named env (c.env.X, env?.X, env["X"]), destructuring it, process.env, the cloudflare:workers env import. */
function envReads(text: string): string[] {
  const found: string[] = [];
  for (const [i, line] of text.split("\n").entries()) {
    const member = /\benv\s*(?:!?\.|\?\.|\[)/.test(line);
    const destructured = /\}\s*=\s*(?:c\.)?env\b/.test(line);
    const runtimeImport = /import\s*\{[^}]*\benv\b[^}]*\}\s*from\s*["']cloudflare:workers["']/.test(line);
    if (member || destructured || runtimeImport || /\bprocess\.env\b/.test(line)) {
      found.push(`${i + 1}: ${line.trim()}`);
    }
  }
  return found;
}

/** Hono's bindings (c.env) handed anywhere: only the wiring may do that. */
function bindingsHandedOn(text: string): string[] {
  return text.split("\n").flatMap((line, i) => (/\bc\.env\b/.test(line) ? [`${i + 1}: ${line.trim()}`] : []));
}

describe("the configuration layer is the only reader of env", () => {
  it("finds no env read outside src/config.ts, src/config/, the wiring and src/cli", () => {
    const offenders: string[] = [];
    for (const file of files(SRC)) {
      const rel = relative(ROOT, file);
      if (isConfigLayer(rel) || rel.startsWith("src/cli/")) continue;
      const text = readFileSync(file, "utf8");
      const hits = new Set([...envReads(text), ...(WIRING.has(rel) ? [] : bindingsHandedOn(text))]);
      for (const hit of hits) offenders.push(`${rel}:${hit}`);
    }
    expect(offenders).toEqual([]);
  });

  it("detects each form of env read (the check can fail)", () => {
    expect(envReads('const x = c.env?.CORS_ORIGINS;\nconst a = c.env.ASSETS;\nenv["API_TOKENS"];\nenv!.DB;\nprocess.env.HOME;\nimport { env } from "cloudflare:workers";\nconst { API_TOKENS } = c.env;')).toHaveLength(7);
    expect(envReads('depsFromEnv(c.env ?? {});\nuniversalEnv(purpose, dir);\nOVERRIDES[purpose].env(dir);\ntype AppEnv = {};')).toEqual([]);
    expect(bindingsHandedOn("depsFromEnv(c.env ?? {});")).toHaveLength(1);
  });

  it("imports nothing but itself and src/pki (store, authority and http build on it, not the reverse)", () => {
    const offenders: string[] = [];
    for (const file of files(SRC)) {
      const rel = relative(ROOT, file);
      if (!isConfigLayer(rel)) continue;
      for (const m of readFileSync(file, "utf8").matchAll(/(?:from\s+|import\s*\(\s*)["']([^"']+)["']/g)) {
        const spec = m[1]!;
        const target = spec.startsWith(".") ? relative(ROOT, resolve(dirname(file), spec)) : spec;
        if (!(isConfigLayer(target) || target.startsWith("src/pki/"))) offenders.push(`${rel} → ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});

const TOKEN_ENTRY = { name: "ci", sha256: toHex(new Uint8Array(32).fill(7)), scopes: ["issue"], allow: ["*.mesh.example.com"] };
const TRUST_ENTRY = { name: "gha", issuer: "https://token.actions.githubusercontent.com", audience: "edgeca", claims: { sub: "repo:org/infra:*" }, scopes: ["issue"], allow: ["*.mesh.example.com"] };

function env(over: Partial<Env> = {}): Env {
  return { API_TOKENS: JSON.stringify([TOKEN_ENTRY]), OIDC_TRUST: JSON.stringify([TRUST_ENTRY]), ...over };
}

describe("configFromEnv", () => {
  it("turns every setting into a typed value, defaults included", () => {
    const c = configFromEnv(env({ CORS_ORIGINS: " https://a.example , https://b.example,", LEDGER_GROUP_COMMIT: " OFF ", ALERT_WEBHOOK_URL: "https://hooks.example/x", STORE_KEY: ` ${"QUFB".repeat(10)}QUE= ` }));
    expect(c.service).toEqual({ maxTtlSeconds: 397 * 86_400, defaultTtlSeconds: 90 * 86_400, publicUrl: undefined, crlNextUpdateSeconds: 86_400, auditRetentionSeconds: 400 * 86_400, acme: { eabTtlSeconds: 86_400, orderTtlSeconds: 3_600, oidcAccountTtlSeconds: 90 * 86_400 } });
    expect(c.tokens).toMatchObject([{ name: "ci", scopes: new Set(["issue"]), maxTtlSeconds: undefined }]);
    expect(c.oidcTrust).toMatchObject([{ name: "gha", audience: "edgeca", keys: { issuer: "https://token.actions.githubusercontent.com" } }]);
    expect(c.alerting).toEqual({ webhookUrl: "https://hooks.example/x", secret: undefined, withinSeconds: 14 * 86_400 });
    expect([...c.http.corsOrigins]).toEqual(["https://a.example", "https://b.example"]);
    expect(c.ledger.groupCommit).toBe(false);
    expect(c.storeKey).toEqual(new Uint8Array(32).fill(0x41));
    expect(configFromEnv(env()).storeKey).toBeUndefined();
    expect(configFromEnv(env()).ledger.groupCommit).toBe(true);
    expect(configFromEnv(env()).http.corsOrigins.size).toBe(0);
    expect(configFromEnv(env()).alerting).toBeNull();
  });

  it("keeps each part's misconfiguration to that part", () => {
    const badTrust = configFromEnv(env({ OIDC_TRUST: "[{" }));
    expect(badTrust.oidcTrust).toBe("OIDC_TRUST is not valid JSON");
    expect(badTrust.tokens).toMatchObject([{ name: "ci" }]);
    expect(typeof badTrust.service).toBe("object");

    const badTokens = configFromEnv(env({ API_TOKENS: '{"name":"ci"}' }));
    expect(badTokens.tokens).toBe("API_TOKENS must be a JSON array of token entries");
    expect(badTokens.oidcTrust).toMatchObject([{ name: "gha" }]);

    const badTtl = configFromEnv(env({ MAX_TTL: "a year" }));
    expect(badTtl.service).toBe('MAX_TTL is not a duration such as "397d": "a year"');
    expect(badTtl.tokens).toMatchObject([{ name: "ci" }]);

    const badKey = configFromEnv(env({ STORE_KEY: "QUFB" }));
    expect(badKey.storeKey).toBe("STORE_KEY must be 32 bytes, base64-encoded: make one with `openssl rand -base64 32`");
    expect(badKey.tokens).toMatchObject([{ name: "ci" }]);

    const badAlert = configFromEnv(env({ ALERT_WEBHOOK_URL: "http://hooks.example/x" }));
    expect(badAlert.alerting).toBe("ALERT_WEBHOOK_URL must be an https URL (plain http only to a loopback address)");
    expect(typeof badAlert.service).toBe("object");
  });

  it("refuses an OIDC_TRUST policy named like an API token, and only while that token parses", () => {
    const clash = JSON.stringify([{ ...TRUST_ENTRY, name: "ci" }]);
    expect(configFromEnv(env({ OIDC_TRUST: clash })).oidcTrust).toMatch(/^OIDC_TRUST\[0\]\.name "ci" is used by another policy or API token/);
    expect(configFromEnv(env({ OIDC_TRUST: clash, API_TOKENS: "" })).oidcTrust).toMatchObject([{ name: "ci" }]);
  });

  it("parses once per isolate: the same inputs give the same objects, a changed input a new one", () => {
    const a = configFromEnv(env({ CORS_ORIGINS: "https://a.example", ALERT_WEBHOOK_URL: "https://hooks.example/x" }));
    const b = configFromEnv(env({ CORS_ORIGINS: "https://a.example", ALERT_WEBHOOK_URL: "https://hooks.example/x" }));
    for (const part of ["service", "tokens", "oidcTrust", "alerting"] as const) expect(b[part], part).toBe(a[part]);
    expect(b.http.corsOrigins).toBe(a.http.corsOrigins);
    const c = configFromEnv(env({ CORS_ORIGINS: "https://a.example", ALERT_WEBHOOK_URL: "https://hooks.example/x", API_TOKENS: JSON.stringify([{ ...TOKEN_ENTRY, name: "ci2" }]) }));
    expect(c.tokens).not.toBe(a.tokens);
    // The trust policies are re-checked against the new token names.
    expect(c.oidcTrust).not.toBe(a.oidcTrust);
    expect(c.service).toBe(a.service);
  });

  it("passes the CA secrets and bindings through as given", () => {
    const db = {} as D1Database;
    const assets = {} as Fetcher;
    const limiter = { limit: async () => ({ success: true }) };
    const c = configFromEnv(env({ CA_CERT: "c", CA_KEY: "k", CA_TRUST: "t", CA_PREVIOUS_CERT: "pc", CA_PREVIOUS_KEY: "pk", DB: db, ASSETS: assets, RATE_LIMIT_CLIENT: limiter }));
    expect(c.ca).toEqual({ certPem: "c", keyPem: "k", trustPem: "t", previousCertPem: "pc", previousKeyPem: "pk" });
    expect(c.ledger.db).toBe(db);
    expect(c.http.assets).toBe(assets);
    expect(c.http.rateLimits).toEqual({ client: limiter, token: undefined });
  });
});

describe("API_TOKENS", () => {
  it.each([
    ["", "API_TOKENS is not set: create a token with `npm run token:create` and store the printed entry"],
    ["nope", "API_TOKENS is not valid JSON"],
    ["[1]", "API_TOKENS[0] is not an object"],
    [JSON.stringify([{ ...TOKEN_ENTRY, sha256: "AB" }]), "API_TOKENS[0].sha256 must be 64 lowercase hex digits"],
    [JSON.stringify([{ ...TOKEN_ENTRY, scopes: ["root"] }]), "API_TOKENS[0].scopes must list scopes from issue, sign, verify, read, revoke, metrics, admin"],
    [JSON.stringify([{ ...TOKEN_ENTRY, max_ttl: "forever" }]), 'API_TOKENS[0].max_ttl must be a duration such as "30d"'],
    [JSON.stringify([TOKEN_ENTRY, TOKEN_ENTRY]), 'API_TOKENS[1].name "ci" is used by another token; token names must be unique'],
  ])("rejects %j with a message naming the entry and field", (text, message) => {
    expect(parseApiTokens(text)).toBe(message);
  });
});

describe("the CA set", () => {
  it("is loaded once for the same secrets, again when one changes, and retried after a failure", async () => {
    const now = new Date();
    const window = { keyAlgorithm: "ecdsa-p256" as const, notBefore: new Date(now.getTime() - 86_400_000), notAfter: new Date(now.getTime() + 86_400_000 * 365) };
    const root = await createRootCa({ ...window, subject: "CN=config test root" });
    const material = { certPem: root.certificatePem, keyPem: root.privateKeyPem };
    const first = await caSetFrom(material, now);
    expect(first.ok && first.value.issuing.subject).toBe("CN=config test root");
    // Equal strings in a new object (each request's env): the same loaded set, keys not imported again.
    expect(await caSetFrom({ ...material }, now)).toBe(first);
    const missingKey = await caSetFrom({ certPem: root.certificatePem }, now);
    expect(missingKey).toEqual({ ok: false, error: { reason: "missing_key" } });
    expect(await caSetFrom({ certPem: root.certificatePem }, now)).not.toBe(missingKey);
    const again = await caSetFrom(material, now);
    expect(again.ok).toBe(true);
    expect(again).not.toBe(first);
  });
});
