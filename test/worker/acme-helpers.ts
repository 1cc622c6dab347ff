/**
 * A minimal ACME client for the worker tests, built on jose (RFC 8555 §6.2
 * flattened JWS) so every header field can be set or broken on purpose, and
 * CSRs made with @peculiar/x509 for any names and key.
 */
import { env } from "cloudflare:workers";
import { exportJWK, FlattenedSign, generateKeyPair, type JWK } from "jose";
import type { Env } from "../../src/config.ts";
import { x509 } from "../../src/pki/x509.ts";
import { call, callWithEnv, tokens } from "./helpers.ts";

export const BASE = "http://edgeca.test";
export const JOSE = "application/jose+json";

/** Where requests go: the worker as bound, or with other bindings (API_TOKENS, OIDC_TRUST) for the same D1. */
export type Transport = (path: string, init: { method?: string; rawBody?: string; headers?: Record<string, string>; token?: string; body?: unknown }) => Promise<Response>;
export const direct: Transport = (path, init) => call(path, init);
export const withEnv = (overrides: Partial<Record<keyof Env, string | undefined>>): Transport => (path, init) => callWithEnv(overrides, path, init);

export interface AccountKey {
  alg: "ES256" | "ES384" | "RS256" | "EdDSA";
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  jwk: JWK;
}

export async function accountKey(alg: AccountKey["alg"] = "ES256"): Promise<AccountKey> {
  const pair = await generateKeyPair(alg, { extractable: true, ...(alg === "EdDSA" ? { crv: "Ed25519" } : {}) });
  const full = await exportJWK(pair.publicKey);
  const jwk: JWK = Object.fromEntries(Object.entries(full).filter(([k]) => ["kty", "crv", "x", "y", "n", "e"].includes(k)));
  return { alg, privateKey: pair.privateKey, publicKey: pair.publicKey, jwk };
}

export async function freshNonce(t: Transport = direct): Promise<string> {
  const res = await t("/acme/new-nonce", { method: "HEAD" });
  const nonce = res.headers.get("Replay-Nonce");
  if (res.status !== 200 || !nonce) throw new Error(`new-nonce → ${res.status}`);
  return nonce;
}

const enc = new TextEncoder();

export interface SignOptions {
  /** The account URL (kid); otherwise the key's jwk goes in the header. */
  kid?: string;
  nonce?: string | null;
  url?: string;
  /** Header members to add or override (undefined removes one). */
  header?: Record<string, unknown>;
  alg?: string;
}

const b64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

/** A flattened JWS made with WebCrypto directly, for keys jose refuses to sign with (RSA under 2048 bits). */
export async function rawRs256Jws(privateKey: CryptoKey, header: Record<string, unknown>, payload: unknown): Promise<string> {
  const p = b64url(enc.encode(JSON.stringify(header)));
  const body = b64url(enc.encode(JSON.stringify(payload)));
  const sig = new Uint8Array(await crypto.subtle.sign("RSASSA-PKCS1-v1_5", privateKey, enc.encode(`${p}.${body}`)));
  return JSON.stringify({ protected: p, payload: body, signature: b64url(sig) });
}

/** A flattened JWS over `payload` (an object, or "" for POST-as-GET). */
export async function signJws(key: AccountKey, path: string, payload: unknown, o: SignOptions = {}, t: Transport = direct): Promise<string> {
  const nonce = o.nonce === undefined ? await freshNonce(t) : o.nonce;
  const header: Record<string, unknown> = { alg: o.alg ?? key.alg, url: o.url ?? `${BASE}${path}`, ...(nonce === null ? {} : { nonce }), ...(o.kid ? { kid: o.kid } : { jwk: key.jwk }) };
  for (const [k, v] of Object.entries(o.header ?? {})) {
    if (v === undefined) delete header[k];
    else header[k] = v;
  }
  const bytes = payload === "" ? new Uint8Array(0) : enc.encode(JSON.stringify(payload));
  const jws = await new FlattenedSign(bytes).setProtectedHeader(header as never).sign(key.privateKey);
  return JSON.stringify(jws);
}

export function postJws(path: string, body: string, t: Transport = direct, contentType = JOSE): Promise<Response> {
  return t(path, { method: "POST", rawBody: body, headers: { "Content-Type": contentType } });
}

export async function acmePost(key: AccountKey, path: string, payload: unknown, o: SignOptions = {}, t: Transport = direct): Promise<Response> {
  return postJws(path, await signJws(key, path, payload, o, t), t);
}

export interface Eab {
  kid: string;
  hmac_key: string;
  directory: string;
  expires_at: string;
}

export async function createEab(token: string = tokens.zoneA, t: Transport = direct): Promise<Eab> {
  const res = await t("/v1/acme/eab", { method: "POST", token });
  if (res.status !== 201) throw new Error(`eab → ${res.status}: ${await res.text()}`);
  return (await res.json()) as Eab;
}

function b64urlDecode(text: string): Uint8Array {
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

export interface EabOptions {
  header?: Record<string, unknown>;
  /** The payload (default: the account key's JWK). */
  payload?: unknown;
  /** A different HMAC key (default: the EAB's). */
  hmacKey?: Uint8Array;
  alg?: string;
}

/** RFC 8555 §7.3.4: the externalAccountBinding JWS over the account key. */
export async function eabJws(eab: Pick<Eab, "kid" | "hmac_key">, key: AccountKey, o: EabOptions = {}): Promise<unknown> {
  const header: Record<string, unknown> = { alg: o.alg ?? "HS256", kid: eab.kid, url: `${BASE}/acme/new-account`, ...o.header };
  for (const [k, v] of Object.entries(header)) if (v === undefined) delete header[k];
  return new FlattenedSign(enc.encode(JSON.stringify(o.payload ?? key.jwk))).setProtectedHeader(header as never).sign(o.hmacKey ?? b64urlDecode(eab.hmac_key));
}

export interface Account {
  key: AccountKey;
  url: string;
  eab: Eab;
}

export async function register(token: string = tokens.zoneA, t: Transport = direct, alg: AccountKey["alg"] = "ES256"): Promise<Account> {
  const key = await accountKey(alg);
  const eab = await createEab(token, t);
  const res = await acmePost(key, "/acme/new-account", { termsOfServiceAgreed: true, externalAccountBinding: await eabJws(eab, key) }, {}, t);
  if (res.status !== 201) throw new Error(`new-account → ${res.status}: ${await res.text()}`);
  return { key, url: res.headers.get("Location")!, eab };
}

export interface OrderJson {
  status: string;
  identifiers: { type: string; value: string }[];
  authorizations: string[];
  finalize: string;
  certificate?: string;
  notAfter?: string;
  error?: { type: string; detail: string };
}

export function pathOf(url: string): string {
  return url.slice(BASE.length);
}

export async function newOrder(account: Account, identifiers: { type: string; value: string }[], extra: Record<string, unknown> = {}, t: Transport = direct): Promise<{ res: Response; order: OrderJson; url: string }> {
  const res = await acmePost(account.key, "/acme/new-order", { identifiers, ...extra }, { kid: account.url }, t);
  const text = await res.clone().text();
  return { res, order: JSON.parse(text) as OrderJson, url: res.headers.get("Location") ?? "" };
}

export const dns = (...values: string[]) => values.map((value) => ({ type: "dns", value }));

/** A CSR (base64url DER, as ACME carries it) for `names`, with subject CN `cn` if given, signed by `keys` (a fresh P-256 key by default). */
export async function csrFor(names: string[], o: { cn?: string; keys?: CryptoKeyPair } = {}): Promise<{ csr: string; keys: CryptoKeyPair }> {
  const keys = o.keys ?? ((await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair);
  const sans = names.map((n) => (/^[\d.]+$|:/.test(n) ? { type: "ip" as const, value: n } : { type: "dns" as const, value: n }));
  const algorithm = keys.privateKey.algorithm.name === "ECDSA" ? { name: "ECDSA", hash: "SHA-256" } : keys.privateKey.algorithm.name === "Ed25519" ? { name: "Ed25519" } : { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  const req = await x509.Pkcs10CertificateRequestGenerator.create({
    ...(o.cn ? { name: `CN=${o.cn}` } : {}),
    keys,
    signingAlgorithm: algorithm,
    extensions: [new x509.SubjectAlternativeNameExtension(sans)],
  });
  const der = new Uint8Array(req.rawData);
  return { csr: btoa(String.fromCharCode(...der)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""), keys };
}

export interface AcmeProblemJson {
  type: string;
  detail: string;
  status: number;
  subproblems?: { type: string; detail: string; identifier: { type: string; value: string } }[];
  [k: string]: unknown;
}

/** Asserts an RFC 8555 problem document of `type` with `status`, carrying a fresh nonce and the index link. */
export async function expectAcmeProblem(res: Response, status: number, type: string, base = BASE): Promise<AcmeProblemJson> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`expected ${status} ${type}, got ${res.status}: ${text.slice(0, 500)}`);
  if (res.headers.get("Content-Type") !== "application/problem+json") throw new Error(`not problem+json: ${res.headers.get("Content-Type")}`);
  const body = JSON.parse(text) as AcmeProblemJson;
  if (body.type !== `urn:ietf:params:acme:error:${type}`) throw new Error(`expected ${type}, got ${body.type}: ${text}`);
  if (!res.headers.get("Replay-Nonce")) throw new Error("a problem without Replay-Nonce");
  if (res.headers.get("Link") !== `<${base}/acme/directory>;rel="index"`) throw new Error(`Link: ${res.headers.get("Link")}`);
  return body;
}

export { env };
