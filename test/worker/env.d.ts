import type { Env as WorkerEnv } from "../../src/config.ts";

declare global {
  namespace Cloudflare {
    interface GlobalProps {
      mainModule: typeof import("../../src/index.ts");
    }
    interface Env extends WorkerEnv {
      TEST_TOKENS: string;
      TEST_ROOT_PEM: string;
      TEST_INTERMEDIATE_PEM: string;
      TEST_MIGRATIONS: import("cloudflare:test").D1Migration[];
    }
  }
}
