/**
 * OIDC issuers' verification keys, fetched and cached per isolate: OpenID
 * discovery (OIDC Discovery 1.0 §4) → jwks_uri → JWK Set (RFC 7517 §5), or
 * an inline JWKS from OIDC_TRUST. Fetches have a timeout and a size limit;
 * a set with private members is refused. Keys are fresh for KEYS_TTL_MS; an
 * unknown `kid` refetches at most once per UNKNOWN_KID_INTERVAL_MS per
 * issuer (a rotation is picked up at once, a flood of made-up kids is not a
 * flood of fetches); when the issuer cannot be reached, keys fetched within
 * MAX_STALE_MS are still used. The clock is the caller's (`nowMs`).
 */
import type { createLocalJWKSet, JSONWebKeySet, JWSHeaderParameters } from "jose";
import { checkPublicKeySet } from "../pki/jwk-set.ts";
import type { KeyHint, KeyLocation, KeyLookup, OidcKeySource } from "./types.ts";

/** jose is loaded on the first OIDC token, so API-token callers and cold starts do not evaluate it. */
const jose = () => import("./jose-subset.ts");

export const KEYS_TTL_MS = 10 * 60_000;
export const DISCOVERY_TTL_MS = 60 * 60_000;
export const UNKNOWN_KID_INTERVAL_MS = 60_000;
/** How long after a successful fetch keys are still used while the issuer is unreachable. */
export const MAX_STALE_MS = 60 * 60_000;
/** After a failed fetch, the issuer is not asked again for this long (cached keys, or 503 with this Retry-After). */
export const FAILURE_BACKOFF_MS = 30_000;
export const FETCH_TIMEOUT_MS = 3_000;
/** Discovery documents and key sets are a few KB (GitHub's JWKS ~2 KB); anything far larger is refused. */
export const MAX_DOCUMENT_BYTES = 64 * 1024;

type LocalSet = ReturnType<typeof createLocalJWKSet>;

interface KeySet {
  set: LocalSet;
  kids: ReadonlySet<string>;
}

interface CachedKeys {
  /** null: no fetch has succeeded yet (only the failure is remembered). */
  keys: KeySet | null;
  fetchedAt: number;
  /** Last fetch forced by an unknown kid. */
  unknownKidFetchAt: number;
  failedAt: number;
  failure: string | undefined;
}

export interface OidcKeyOptions {
  fetch?: typeof fetch;
  timeoutMs?: number;
}

class FetchFailure extends Error {}

/** Reads a JSON document of at most MAX_DOCUMENT_BYTES within the timeout. */
async function fetchJson(doFetch: typeof fetch, url: string, timeoutMs: number): Promise<unknown> {
  const signal = AbortSignal.timeout(timeoutMs);
  let res: Response;
  try {
    // Redirects are not followed: the configured (or discovered) URL is the one trusted.
    res = await doFetch(url, { headers: { Accept: "application/json" }, redirect: "manual", signal });
  } catch (e) {
    throw new FetchFailure(signal.aborted ? `no answer within ${timeoutMs} ms` : "connection failed");
  }
  if (res.status !== 200) {
    await res.body?.cancel();
    throw new FetchFailure(`HTTP ${res.status}`);
  }
  const declared = Number(res.headers.get("Content-Length") ?? "0");
  if (declared > MAX_DOCUMENT_BYTES) {
    await res.body?.cancel();
    throw new FetchFailure(`larger than ${MAX_DOCUMENT_BYTES} bytes`);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    const reader = res.body!.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_DOCUMENT_BYTES) {
        await reader.cancel();
        throw new FetchFailure(`larger than ${MAX_DOCUMENT_BYTES} bytes`);
      }
      chunks.push(value);
    }
  } catch (e) {
    if (e instanceof FetchFailure) throw e;
    throw new FetchFailure(signal.aborted ? `no answer within ${timeoutMs} ms` : "connection failed");
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) bytes.set(c, (at += c.byteLength) - c.byteLength);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new FetchFailure("not JSON");
  }
}

/** The checked set, ready to match JWS headers (jose imports and caches each key on first use). */
async function publicKeySet(doc: unknown): Promise<KeySet | string> {
  const checked = checkPublicKeySet(doc);
  if (typeof checked === "string") return checked;
  try {
    return { set: (await jose()).createLocalJWKSet({ keys: checked.keys as JSONWebKeySet["keys"] }), kids: checked.kids };
  } catch {
    return "not a valid JWK Set";
  }
}

export function createOidcKeySource(options: OidcKeyOptions = {}): OidcKeySource {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const timeoutMs = options.timeoutMs ?? FETCH_TIMEOUT_MS;
  const byLocation = new Map<string, CachedKeys>();
  const inline = new WeakMap<object, Promise<KeySet | string>>();
  const discovery = new Map<string, { jwksUri: string; fetchedAt: number }>();
  const inFlight = new Map<string, Promise<CachedKeys>>();

  async function jwksUriOf(location: KeyLocation, nowMs: number): Promise<string> {
    if (location.jwksUri !== undefined) return location.jwksUri;
    const known = discovery.get(location.issuer);
    if (known && nowMs - known.fetchedAt < DISCOVERY_TTL_MS) return known.jwksUri;
    const doc = (await fetchJson(doFetch, `${location.issuer.replace(/\/+$/, "")}/.well-known/openid-configuration`, timeoutMs)) as Record<string, unknown> | null;
    // OIDC Discovery 1.0 §4.3: the document's issuer must be exactly the one asked about.
    if (doc?.["issuer"] !== location.issuer) throw new FetchFailure("the discovery document names another issuer");
    const jwksUri = doc["jwks_uri"];
    let url: URL;
    try {
      url = new URL(jwksUri as string);
    } catch {
      throw new FetchFailure("the discovery document has no jwks_uri");
    }
    // The keys' URL must be as protected as the issuer's own: https, or http on the same loopback host (tests).
    if (url.protocol !== "https:" && !(url.protocol === "http:" && new URL(location.issuer).protocol === "http:" && url.hostname === new URL(location.issuer).hostname)) {
      throw new FetchFailure("the discovery document's jwks_uri is not https");
    }
    discovery.set(location.issuer, { jwksUri: url.href, fetchedAt: nowMs });
    return url.href;
  }

  async function load(location: KeyLocation, id: string, nowMs: number, previous: CachedKeys | undefined): Promise<CachedKeys> {
    let running = inFlight.get(id);
    if (!running) {
      running = (async () => {
        const uri = await jwksUriOf(location, nowMs);
        const parsed = await publicKeySet(await fetchJson(doFetch, uri, timeoutMs));
        if (typeof parsed === "string") throw new FetchFailure(`the JWKS is refused: ${parsed}`);
        const next: CachedKeys = { keys: parsed, fetchedAt: nowMs, unknownKidFetchAt: previous?.unknownKidFetchAt ?? -Infinity, failedAt: -Infinity, failure: undefined };
        byLocation.set(id, next);
        return next;
      })().finally(() => inFlight.delete(id));
      inFlight.set(id, running);
    }
    return running;
  }

  function lookup(keys: KeySet, hint: KeyHint): Promise<KeyLookup> {
    const header: JWSHeaderParameters = { alg: hint.alg, ...(hint.kid === undefined ? {} : { kid: hint.kid }) };
    return keys.set(header).then(
      (key): KeyLookup => ({ ok: true, keys: [key] }),
      async (e: unknown): Promise<KeyLookup> => {
        if ((e as { code?: unknown } | null)?.code === "ERR_JWKS_MULTIPLE_MATCHING_KEYS") {
          // No kid and several keys of the algorithm's type: each is tried (jose's own rule).
          const all: CryptoKey[] = [];
          for await (const key of e as unknown as AsyncIterable<CryptoKey>) all.push(key);
          return { ok: true, keys: all };
        }
        // The kid names a key, but one of another type or algorithm: never retried with a refetch.
        if (hint.kid !== undefined && keys.kids.has(hint.kid)) return { ok: false, reason: "alg_mismatch" };
        return { ok: false, reason: "unknown_key" };
      },
    );
  }

  return {
    async key(location, hint, nowMs) {
      if (location.jwks !== undefined) {
        let pending = inline.get(location.jwks);
        if (pending === undefined) inline.set(location.jwks, (pending = publicKeySet(location.jwks)));
        const keys = await pending;
        if (typeof keys === "string") return { ok: false, reason: "unavailable", detail: `the inline JWKS is refused: ${keys}`, retryAfterSeconds: 300 };
        return lookup(keys, hint);
      }
      const id = location.jwksUri ?? `discovery:${location.issuer}`;
      let cached = byLocation.get(id);
      const fresh = cached !== undefined && nowMs - cached.fetchedAt < KEYS_TTL_MS && nowMs >= cached.fetchedAt;
      const backingOff = cached !== undefined && nowMs - cached.failedAt < FAILURE_BACKOFF_MS;
      if (!fresh && !backingOff) {
        try {
          cached = await load(location, id, nowMs, cached);
        } catch (e) {
          const failure = e instanceof FetchFailure ? e.message : "fetch failed";
          if (cached) Object.assign(cached, { failedAt: nowMs, failure });
          // Remember the failure with no keys too, so an outage is not a fetch per request.
          else byLocation.set(id, (cached = { keys: null, fetchedAt: -Infinity, unknownKidFetchAt: -Infinity, failedAt: nowMs, failure }));
        }
      }
      if (cached?.keys == null || nowMs - cached.fetchedAt > MAX_STALE_MS) {
        const retryAfterSeconds = Math.max(1, Math.ceil((FAILURE_BACKOFF_MS - (nowMs - (cached?.failedAt ?? nowMs))) / 1000));
        return { ok: false, reason: "unavailable", detail: `the keys of ${location.issuer} could not be fetched (${cached?.failure ?? "fetch failed"})`, retryAfterSeconds };
      }
      const found = await lookup(cached.keys, hint);
      if (found.ok || found.reason !== "unknown_key" || nowMs - cached.unknownKidFetchAt < UNKNOWN_KID_INTERVAL_MS) return found;
      // An unknown kid: the issuer may have rotated its keys since the last fetch.
      cached.unknownKidFetchAt = nowMs;
      try {
        const reloaded = await load(location, id, nowMs, cached);
        return lookup(reloaded.keys!, hint);
      } catch (e) {
        Object.assign(cached, { failedAt: nowMs, failure: e instanceof FetchFailure ? e.message : "fetch failed" });
        return found;
      }
    },
  };
}

let shared: OidcKeySource | undefined;

/** The isolate's key source (its caches live as long as the isolate). */
export function isolateOidcKeySource(): OidcKeySource {
  return (shared ??= createOidcKeySource());
}
