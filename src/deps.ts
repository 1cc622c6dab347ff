/**
 * Builds the dependencies a request needs from the Worker's bindings:
 * config, token store and CA material. Each piece is checked once per
 * isolate and reported by value, so routes can say precisely what is wrong.
 */
import { loadConfig, type Config, type Env } from "./config.ts";
import type { CaMaterial } from "./pki/certificate-authority.ts";
import { caMaterialFromSecrets } from "./store/secret-ca.ts";
import { secretTokenStore } from "./store/secret-tokens.ts";
import type { TokenStore } from "./store/types.ts";

export interface Deps {
  /** The config, or a message naming the variable that is wrong. */
  config: Config | string;
  /** The token store, or a message saying what is wrong with API_TOKENS. */
  tokens: TokenStore | string;
  caMaterial: CaMaterial;
}

export function depsFromEnv(env: Env): Deps {
  return {
    config: loadConfig(env),
    tokens: secretTokenStore(env.API_TOKENS),
    caMaterial: caMaterialFromSecrets(env),
  };
}
