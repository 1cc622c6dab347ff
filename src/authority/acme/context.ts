/** What every ACME use case needs: the store, the derived keys, the principals' sources and the time. */
import type { Config } from "../../config.ts";
import type { AcmeKeys } from "../../pki/acme/secrets.ts";
import type { AcmeStore, PendingNonce, Principal, TokenStore } from "../../store/types.ts";
import type { TrustPolicy } from "../oidc-policy.ts";

export interface AcmeContext {
  store: AcmeStore;
  keys: AcmeKeys;
  config: Config;
  tokens: TokenStore | string;
  trust: readonly TrustPolicy[] | string;
  now: Date;
  /** The verified request's nonce, not yet spent: a use case spends it in its state change's transaction; the front end spends it otherwise. */
  nonce?: PendingNonce | undefined;
  /** The per-principal rate limit (429 rateLimited), applied once the principal is known; absent in tests of the use cases. */
  limitPrincipal?: ((principal: Principal) => Promise<void>) | undefined;
}
