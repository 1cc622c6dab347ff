/**
 * Starts the real worker (src/index.ts with wrangler.toml) in local workerd
 * through wrangler's programmatic API, on 127.0.0.1 and a free port, with a
 * throwaway CA from createTestAuthority(). Used by the interop tier, which
 * talks to it over HTTP exactly as a pipeline or curl would.
 *
 * Local `.dev.vars` / `.env` files are deliberately not loaded: wrangler reads
 * them only when `envFiles` is empty, so we point `envFiles` at an empty file in
 * a temp dir. Without that, a developer's `.dev.vars` (written by `npm start`)
 * could add bindings such as CA_TRUST next to the test CA. (Bindings passed
 * here would win over .dev.vars anyway, but unknown extra ones would not.)
 *
 * Storage: the D1 binding `DB` is a fresh database in a temp persistence dir
 * (never the developer's .wrangler/state), with migrations/*.sql applied first,
 * the way `wrangler d1 execute --local` does it (a Miniflare on the same dir).
 * With `persistDir`, the state lives there instead and outlives stop(), so a
 * test can restart the worker with other secrets on the same ledger (a CA
 * rotation is a sequence of secret changes); migrations are applied once.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { openLocalD1 } from "./local-d1.ts";
import { createTestAuthority, type TestAuthority } from "./test-authority.ts";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The subject of the issuing CA that createTestAuthority() makes; /healthz must report it. */
export const TEST_ISSUING_CA_CN = "edgeca test issuing CA";

export interface RunningWorker {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:53123 */
  url: string;
  authority: TestAuthority;
  stop(): Promise<void>;
}

/**
 * A free loopback port, for a worker whose bindings must name its own URL
 * (an OIDC_TRUST audience). Another process could take it before the worker
 * binds; the worker then fails to start, loudly.
 */
export async function freePort(): Promise<number> {
  const { createServer } = await import("node:net");
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Start the worker and wait until /healthz reports the test CA.
 * `bindings` are extra secrets (e.g. OIDC_TRUST); `port` a fixed loopback port (default: any free one).
 * Throws if the worker answers with another CA (e.g. bindings from .dev.vars won).
 * `bindings` adds secrets (e.g. ALERT_WEBHOOK_URL) next to the test CA's.
 */
export interface StartOptions {
  authority?: TestAuthority;
  /** Keep D1 state here (created if missing, never deleted): a restart with the same dir sees the same ledger. */
  persistDir?: string;
  /** Secrets on top of (or, with undefined, instead of) the authority's bindings, e.g. CA_TRUST or CA_PREVIOUS_CERT. */
  bindings?: Record<string, string | undefined>;
  /** A fixed port (default: a free one). */
  port?: number;
}

export async function startRunningWorker(options: StartOptions = {}): Promise<RunningWorker> {
  // Keep wrangler offline and quiet in tests and CI.
  process.env.WRANGLER_SEND_METRICS = "false";
  process.env.CI ??= "true";
  process.env.WRANGLER_LOG ??= "warn";
  // Never read secrets from the process environment either.
  process.env.CLOUDFLARE_INCLUDE_PROCESS_ENV = "false";

  const authority = options.authority ?? (await createTestAuthority());
  const scratch = mkdtempSync(join(tmpdir(), "edgeca-worker-"));
  const emptyEnvFile = join(scratch, "empty.env");
  writeFileSync(emptyEnvFile, "");

  const persist = options.persistDir ?? join(scratch, "state");
  const secrets = Object.entries({ ...authority.bindings, ...options.bindings }).filter((e): e is [string, string] => e[1] !== undefined);
  const databaseId = "edgeca-interop-test";
  const { unstable_startWorker } = await import("wrangler");
  let worker: Awaited<ReturnType<typeof unstable_startWorker>>;
  try {
    mkdirSync(persist, { recursive: true });
    const migrated = join(persist, ".migrated");
    if (!existsSync(migrated)) {
      await applyMigrations(join(persist, "v3", "d1"), databaseId);
      writeFileSync(migrated, "");
    }
    worker = await unstable_startWorker({
      config: join(repoRoot, "wrangler.toml"),
      entrypoint: join(repoRoot, "src", "index.ts"),
      envFiles: [emptyEnvFile],
      sendMetrics: false,
      bindings: {
        // Every secret the test authority provides (CA_CERT, CA_KEY, API_TOKENS, …), as `wrangler secret put` would.
        // Extra ones (e.g. OIDC_TRUST, CA_PREVIOUS_CERT) the same way.
        ...Object.fromEntries(secrets.map(([name, value]) => [name, { type: "secret_text" as const, value }])),
        DB: { type: "d1", database_id: databaseId },
      },
      dev: {
        server: { hostname: "127.0.0.1", port: options.port ?? 0 },
        inspector: false,
        persist,
        watch: false,
        remote: false,
        logLevel: "warn",
        enableContainers: false,
        // GET /__scheduled?cron=… runs the scheduled handler (what `npm start -- --test-scheduled` serves).
        testScheduled: true,
      },
    });
  } catch (error) {
    rmSync(scratch, { recursive: true, force: true });
    throw error;
  }

  const stop = async () => {
    try {
      await worker.dispose();
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  };

  try {
    await worker.ready;
    const url = (await worker.url).origin;
    const health = await fetch(`${url}/healthz`);
    const body = (await health.json()) as { status?: string; ca?: { subject?: string } };
    if (health.status !== 200 || !body.ca?.subject?.includes(TEST_ISSUING_CA_CN)) {
      throw new Error(`worker at ${url} does not serve the test CA: ${health.status} ${JSON.stringify(body)}`);
    }
    return { url, authority, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Apply migrations/*.sql in name order to the local D1 database `id` under `d1Persist`. */
async function applyMigrations(d1Persist: string, id: string): Promise<void> {
  const local = await openLocalD1({ persist: d1Persist, id });
  await local.dispose();
}
