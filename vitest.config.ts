/**
 * Three tiers: unit (Node, pure src/pki and helpers), worker (inside workerd
 * via @cloudflare/vitest-pool-workers, routes end to end) and interop (Node:
 * OpenSSL and node:tls against bundles from the running service).
 */
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";
import { buildPublic } from "./scripts/build-public.ts";
import { createTestAuthority } from "./test/helpers/test-authority.ts";

// The worker's static assets (public/, git-ignored): wrangler refuses to start without them.
buildPublic(fileURLToPath(new URL(".", import.meta.url)));

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts"],
          environment: "node",
          testTimeout: 30_000,
        },
      },
      {
        plugins: [
          cloudflareTest(async () => {
            const authority = await createTestAuthority();
            const migrations = await readD1Migrations("./migrations");
            return {
              main: "./src/index.ts",
              wrangler: { configPath: "./wrangler.toml" },
              miniflare: {
                bindings: {
                  ...authority.bindings,
                  // The pool runs this worker with no_handle_cross_request_promise_resolution, which group
                  // commit needs (one request's flush settles another's write); the interop tier covers it in real workerd.
                  LEDGER_GROUP_COMMIT: "off",
                  // Test-only: the plaintext tokens and root, so tests can authenticate and verify.
                  TEST_TOKENS: JSON.stringify(authority.tokens),
                  TEST_ROOT_PEM: authority.rootPem,
                  TEST_INTERMEDIATE_PEM: authority.intermediatePem,
                  TEST_MIGRATIONS: migrations,
                },
              },
            };
          }),
        ],
        test: {
          name: "worker",
          include: ["test/worker/**/*.test.ts"],
          // Generous: CI is a shared 2-core machine, and some tests issue hundreds of certificates.
          testTimeout: 30_000,
          setupFiles: ["./test/worker/apply-migrations.ts"],
        },
      },
      {
        test: {
          name: "interop",
          include: ["test/interop/**/*.test.ts"],
          environment: "node",
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
