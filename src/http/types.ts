/**
 * The Hono environment type, declared once: bindings and per-request variables.
 */
import type { Principal } from "../authority/policy.ts";
import type { Env } from "../config.ts";
import type { Deps } from "../deps.ts";

export interface AppEnv {
  Bindings: Env;
  Variables: {
    requestId: string;
    /** Taken once per request and passed down (in Workers the clock only advances across I/O). */
    now: Date;
    deps: Deps;
    principal: Principal;
  };
}
