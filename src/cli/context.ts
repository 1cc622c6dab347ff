/**
 * Global options shared by every command (--url, --token, --token-file,
 * --json, --retries, --help) and the per-command parser built on
 * node:util parseArgs.
 */
import { readFileSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { CliError, EXIT, usageError } from "./errors.ts";
import { ApiClient } from "./http.ts";
import { githubActionsIdToken, inGithubActionsWithIdToken } from "./id-token.ts";
import { VERSION } from "./version.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

export const GLOBAL_OPTIONS = {
  url: { type: "string" },
  token: { type: "string" },
  "token-file": { type: "string" },
  "id-token-file": { type: "string" },
  audience: { type: "string" },
  json: { type: "boolean", default: false },
  retries: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const satisfies Options;

export const GLOBAL_HELP = `Global options:
  --url URL            the edgeca service (env EDGECA_URL)
  --token TOKEN        API token (env EDGECA_TOKEN); prefer --token-file or the env var,
  --token-file FILE    command lines are visible to other users of the machine
  --id-token-file FILE an OIDC ID token instead of an API token, re-read each run (a Kubernetes
                       projected service-account token; env EDGECA_ID_TOKEN, e.g. GitLab id_tokens,
                       used when EDGECA_TOKEN is not set). In GitHub Actions with id-token: write and
                       no token given, one is requested from the Actions runtime for --audience
  --audience AUD       the aud of the requested GitHub Actions ID token (default: the service URL)
  --json               machine-readable output on stdout (errors too: {"error": …})
  --retries N          retries on network errors, 5xx and 429 (default 4; env EDGECA_RETRIES)
  -h, --help           this help`;

export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
}

export interface Globals {
  json: boolean;
  io: Io;
  /** Builds the API client; throws a usage error when no URL is configured. */
  client(): ApiClient;
  /** The token as configured, if any. */
  token: string | undefined;
}

/**
 * Parses `args` with the command's options plus the global ones. Returns
 * undefined after printing help when --help was given.
 */
export function parseCommand<O extends Options>(args: string[], options: O, help: string, io: Io, allowPositionals = false) {
  let parsed;
  try {
    parsed = parseArgs({ args, options: { ...GLOBAL_OPTIONS, ...options }, strict: true, allowPositionals });
  } catch (error) {
    throw usageError(`${(error as Error).message}\n\n${help}`);
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (values.help) {
    io.stdout(`${help}\n\n${GLOBAL_HELP}\n`);
    return undefined;
  }
  const json = values.json === true;
  const given = ["token", "token-file", "id-token-file"].filter((k) => values[k] !== undefined);
  if (given.length > 1) throw usageError(`give one credential, not ${given.map((k) => `--${k}`).join(" and ")}`);
  const readCredential = (flag: string) => {
    try {
      return readFileSync(values[flag] as string, "utf8").trim();
    } catch (error) {
      throw new CliError(`cannot read --${flag}: ${(error as Error).message}`, EXIT.usage);
    }
  };
  // Flags first; then an API token from the environment over an ambient identity (EDGECA_ID_TOKEN, then
  // GitHub Actions' own), so a pipeline goes keyless by deleting its EDGECA_TOKEN secret, nothing else.
  let token: string | (() => Promise<string>) | undefined =
    (values.token as string | undefined) ??
    (values["token-file"] ? readCredential("token-file") : undefined) ??
    (values["id-token-file"] ? readCredential("id-token-file") : undefined) ??
    (io.env.EDGECA_TOKEN || undefined) ??
    (io.env.EDGECA_ID_TOKEN || undefined);
  const retriesText = (values.retries as string | undefined) ?? io.env.EDGECA_RETRIES ?? "4";
  const retries = Number(retriesText);
  if (!Number.isInteger(retries) || retries < 0 || retries > 10) throw usageError("--retries must be a whole number from 0 to 10");
  const globals: Globals = {
    json,
    io,
    token: typeof token === "string" ? token : undefined,
    client() {
      const url = (values.url as string | undefined) ?? io.env.EDGECA_URL;
      if (!url) throw usageError("no service URL: pass --url or set EDGECA_URL");
      if (!/^https?:\/\/[^\s/]+/i.test(url)) throw usageError(`--url must be an http(s) URL, not ${JSON.stringify(url)}`);
      // Inside GitHub Actions with id-token: write, no stored secret at all: an ID token for the service.
      if (token === undefined && inGithubActionsWithIdToken(io.env)) {
        const audience = (values.audience as string | undefined) ?? url.replace(/\/+$/, "");
        token = () => githubActionsIdToken(io.env, audience);
      }
      const base = Number(io.env.EDGECA_RETRY_DELAY_MS ?? "500");
      return new ApiClient({
        url,
        token: token || undefined,
        retries,
        baseDelayMs: Number.isFinite(base) && base >= 0 ? base : 500,
        maxDelayMs: 20_000,
        maxRetryAfterMs: 120_000,
        timeoutMs: 30_000,
        userAgent: `edgeca-cli/${VERSION} node/${process.versions.node}`,
        onRetry: ({ attempt, delayMs, reason }) => io.stderr(`edgeca: ${reason}; retry ${attempt}/${retries} in ${(delayMs / 1000).toFixed(1)} s\n`),
      });
    },
  };
  return { values, positionals: parsed.positionals, globals };
}

/** Repeatable list options also accept comma-separated values: --usage server,client. */
export function listOption(value: unknown): string[] {
  const items = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return items.flatMap((v) => String(v).split(",")).map((s) => s.trim()).filter(Boolean);
}

export function oneOf<T extends string>(value: unknown, allowed: readonly T[], flag: string): T | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T)) throw usageError(`${flag} must be one of ${allowed.join(", ")}; got ${JSON.stringify(value)}`);
  return value as T;
}
