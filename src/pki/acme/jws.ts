/**
 * JWS for ACME (RFC 8555 §6.2, RFC 7515 flattened JSON serialization):
 * parsing, protected-header rules, account-key import and signature
 * verification with jose, JWK thumbprints (RFC 7638), and the inner JWS of
 * External Account Binding (§7.3.4) and key rollover (§7.3.5). Pure: no I/O,
 * no clock; every refusal is an AcmeProblem whose detail is safe to return.
 */
import { calculateJwkThumbprint, flattenedVerify, importJWK, type JWK } from "jose";
import { AcmeProblem } from "./problem.ts";

/** Account-key algorithms (RFC 8555 §6.2: RS256 MUST, ES256 SHOULD; ES384 and EdDSA as clients use them). Never "none" nor a MAC. */
export const ACCOUNT_ALGS = ["RS256", "ES256", "ES384", "EdDSA"] as const;
/** MAC algorithms for the EAB JWS only (RFC 8555 §7.3.4; RFC 7518 §3.2). */
export const EAB_ALGS = ["HS256", "HS384", "HS512"] as const;
/** RSA account keys below this are refused (cert-manager's default is 2048). */
export const MIN_RSA_BITS = 2048;
const MAX_RSA_BITS = 8192;

export interface ProtectedHeader {
  alg: string;
  nonce: string | undefined;
  url: string;
  kid: string | undefined;
  jwk: JWK | undefined;
}

export interface FlattenedJws {
  protected: string;
  payload: string;
  signature: string;
  header: ProtectedHeader;
}

const B64URL = /^[A-Za-z0-9_-]*$/;

function decodeB64Url(text: string): Uint8Array {
  if (!B64URL.test(text) || text.length % 4 === 1) throw new AcmeProblem("malformed", "a JWS member is not base64url (RFC 7515 §2)");
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const DECODER = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

function jsonObject(bytes: Uint8Array, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(DECODER.decode(bytes));
  } catch {
    throw new AcmeProblem("malformed", `${what} is not JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new AcmeProblem("malformed", `${what} is not a JSON object`);
  return value as Record<string, unknown>;
}

/**
 * A flattened JWS object (RFC 7515 §7.2.2) with exactly protected, payload and
 * signature: RFC 8555 §6.2 forbids the unprotected header, and the general
 * serialization (several signatures) is not ACME's.
 */
export function parseFlattenedJws(value: unknown, what = "the request body"): FlattenedJws {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new AcmeProblem("malformed", `${what} is not a flattened JWS object (RFC 8555 §6.2)`);
  const o = value as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (k === "header") throw new AcmeProblem("malformed", `${what}: the JWS Unprotected Header must not be used (RFC 8555 §6.2)`);
    if (k !== "protected" && k !== "payload" && k !== "signature") throw new AcmeProblem("malformed", `${what} has an unexpected member ${JSON.stringify(k.slice(0, 32))}: only protected, payload and signature (flattened JWS)`);
  }
  const { protected: p, payload, signature } = o;
  if (typeof p !== "string" || typeof payload !== "string" || typeof signature !== "string") throw new AcmeProblem("malformed", `${what} needs protected, payload and signature strings`);
  if (!B64URL.test(payload) || !B64URL.test(signature)) throw new AcmeProblem("malformed", `${what}: payload and signature must be base64url`);
  const h = jsonObject(decodeB64Url(p), "the JWS protected header");
  const alg = h["alg"];
  if (typeof alg !== "string") throw new AcmeProblem("malformed", "the JWS protected header has no alg");
  const url = h["url"];
  if (typeof url !== "string") throw new AcmeProblem("malformed", "the JWS protected header has no url (RFC 8555 §6.4)");
  const nonce = h["nonce"];
  if (nonce !== undefined && typeof nonce !== "string") throw new AcmeProblem("badNonce", "the JWS nonce is not a string");
  const kid = h["kid"];
  if (kid !== undefined && typeof kid !== "string") throw new AcmeProblem("malformed", "the JWS kid is not a string");
  const jwk = h["jwk"];
  if (jwk !== undefined && (typeof jwk !== "object" || jwk === null || Array.isArray(jwk))) throw new AcmeProblem("malformed", "the JWS jwk is not a JSON object");
  return { protected: p, payload, signature, header: { alg, nonce: nonce as string | undefined, url, kid: kid as string | undefined, jwk: jwk as JWK | undefined } };
}

export function decodePayload(jws: FlattenedJws): Uint8Array {
  return decodeB64Url(jws.payload);
}

/** The payload as a JSON object; POST-as-GET (an empty payload, RFC 8555 §6.3) gives null. */
export function payloadJson(payload: Uint8Array): Record<string, unknown> | null {
  if (payload.length === 0) return null;
  return jsonObject(payload, "the JWS payload");
}

function badAlgorithm(alg: string): AcmeProblem {
  return new AcmeProblem("badSignatureAlgorithm", `the JWS algorithm ${JSON.stringify(alg.slice(0, 16))} is not accepted for account keys: use ${ACCOUNT_ALGS.join(", ")}`, {
    extensions: { algorithms: [...ACCOUNT_ALGS] },
  });
}

/**
 * RFC 8555 §6.2: an accepted asymmetric alg; exactly one of kid and jwk, the one
 * this resource expects; `url` equal to the request URL (§6.4). The nonce is
 * checked by the caller (it needs storage).
 */
export function checkRequestHeader(h: ProtectedHeader, expectedUrl: string, keyBy: "kid" | "jwk" | "either"): void {
  if (!(ACCOUNT_ALGS as readonly string[]).includes(h.alg)) throw badAlgorithm(h.alg);
  if (h.url !== expectedUrl) throw new AcmeProblem("unauthorized", `the JWS url ${JSON.stringify(h.url.slice(0, 256))} is not the URL requested, ${expectedUrl} (RFC 8555 §6.4)`);
  if (h.kid !== undefined && h.jwk !== undefined) throw new AcmeProblem("malformed", "the JWS has both kid and jwk; exactly one is allowed (RFC 8555 §6.2)");
  if (h.kid === undefined && h.jwk === undefined) throw new AcmeProblem("malformed", "the JWS has neither kid nor jwk (RFC 8555 §6.2)");
  if (keyBy === "kid" && h.kid === undefined) throw new AcmeProblem("malformed", "this resource needs a JWS signed with the account key and its kid (the account URL), not jwk (RFC 8555 §6.2)");
  if (keyBy === "jwk" && h.jwk === undefined) throw new AcmeProblem("malformed", "this resource needs a JWS with the account's public key in jwk, not kid (RFC 8555 §6.2)");
}

function b64urlBits(text: unknown): number {
  if (typeof text !== "string") return 0;
  const bytes = decodeB64Url(text);
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  if (i === bytes.length) return 0;
  return (bytes.length - i) * 8 - Math.clz32(bytes[i]!) + 24;
}

/** The public members of an account key, checked against its alg: these are what is stored and thumbprinted. */
export function publicAccountJwk(jwk: JWK, alg: string): JWK {
  const bad = (why: string) => new AcmeProblem("badPublicKey", `the account key is not accepted: ${why}`);
  if ("d" in jwk || "p" in jwk || "k" in jwk) throw bad("a JWK with private or symmetric key material");
  switch (alg) {
    case "RS256": {
      if (jwk.kty !== "RSA" || typeof jwk.n !== "string" || typeof jwk.e !== "string") throw bad("RS256 needs an RSA key (kty RSA, n, e)");
      const bits = b64urlBits(jwk.n);
      if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) throw bad(`RSA keys must have ${MIN_RSA_BITS} to ${MAX_RSA_BITS} bits, this one has ${bits}`);
      return { kty: "RSA", n: jwk.n, e: jwk.e };
    }
    case "ES256":
    case "ES384": {
      const crv = alg === "ES256" ? "P-256" : "P-384";
      if (jwk.kty !== "EC" || jwk.crv !== crv || typeof jwk.x !== "string" || typeof jwk.y !== "string") throw bad(`${alg} needs an EC key on ${crv}`);
      return { kty: "EC", crv, x: jwk.x, y: jwk.y };
    }
    case "EdDSA":
      if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || typeof jwk.x !== "string") throw bad("EdDSA needs an Ed25519 key (kty OKP)");
      return { kty: "OKP", crv: "Ed25519", x: jwk.x };
  }
  throw badAlgorithm(alg);
}

/** RFC 7638 thumbprint (SHA-256, base64url) of a public JWK. */
export function jwkThumbprint(jwk: JWK): Promise<string> {
  return calculateJwkThumbprint(jwk, "sha256");
}

/**
 * Imported account keys, per isolate, by alg and public members: an account signs every request with
 * the same key, and importing it (an RSA modulus especially) each time is CPU for nothing. Only public
 * key material is cached, so a key change or deactivation (checked against the stored account on every
 * request) is unaffected. Bounded: the oldest entry goes first.
 */
const IMPORTED = new Map<string, Promise<CryptoKey | Uint8Array>>();
const MAX_IMPORTED = 512;

function importAccountKey(checked: JWK, alg: string): Promise<CryptoKey | Uint8Array> {
  const id = `${alg}|${checked.kty}|${checked.crv ?? ""}|${checked.n ?? ""}|${checked.e ?? ""}|${checked.x ?? ""}|${checked.y ?? ""}`;
  let key = IMPORTED.get(id);
  if (!key) {
    key = importJWK(checked, alg);
    // A key that fails to import is not remembered.
    key.catch(() => IMPORTED.delete(id));
    if (IMPORTED.size >= MAX_IMPORTED) IMPORTED.delete(IMPORTED.keys().next().value!);
    IMPORTED.set(id, key);
  }
  return key;
}

/** Verifies a JWS with an account key; returns the payload bytes. */
export async function verifyWithAccountKey(jws: FlattenedJws, jwk: JWK): Promise<Uint8Array> {
  const alg = jws.header.alg;
  const checked = publicAccountJwk(jwk, alg);
  let key: CryptoKey | Uint8Array;
  try {
    key = await importAccountKey(checked, alg);
  } catch {
    throw new AcmeProblem("badPublicKey", "the account key cannot be imported for its algorithm");
  }
  return verifyFlattened(jws, key, [alg]);
}

async function verifyFlattened(jws: FlattenedJws, key: CryptoKey | Uint8Array, algorithms: string[]): Promise<Uint8Array> {
  try {
    const { payload } = await flattenedVerify({ protected: jws.protected, payload: jws.payload, signature: jws.signature }, key, { algorithms });
    return payload;
  } catch {
    throw new AcmeProblem("malformed", "the JWS signature does not verify");
  }
}

/** The EAB JWS, checked but not yet MAC-verified (its key must be looked up by kid first). */
export interface ExternalBinding {
  kid: string;
  jws: FlattenedJws;
}

/**
 * RFC 8555 §7.3.4: the externalAccountBinding is a flattened JWS with a MAC alg,
 * the EAB kid, no nonce, the same url as the outer JWS, and as payload the
 * outer JWS's jwk (otherwise a leaked EAB JWS would bind someone else's key).
 */
export async function parseExternalBinding(value: unknown, outerJwk: JWK, outerUrl: string): Promise<ExternalBinding> {
  const jws = parseFlattenedJws(value, "externalAccountBinding");
  const h = jws.header;
  if (!(EAB_ALGS as readonly string[]).includes(h.alg)) throw new AcmeProblem("malformed", `externalAccountBinding must use a MAC algorithm (${EAB_ALGS.join(", ")}), not ${JSON.stringify(h.alg.slice(0, 16))} (RFC 8555 §7.3.4)`);
  if (h.nonce !== undefined) throw new AcmeProblem("malformed", "externalAccountBinding must not carry a nonce (RFC 8555 §7.3.4)");
  if (h.jwk !== undefined) throw new AcmeProblem("malformed", "externalAccountBinding must not carry a jwk header");
  if (h.url !== outerUrl) throw new AcmeProblem("unauthorized", "externalAccountBinding's url differs from the outer JWS's (RFC 8555 §7.3.4)");
  if (h.kid === undefined || h.kid.length === 0 || h.kid.length > 128) throw new AcmeProblem("malformed", "externalAccountBinding has no kid");
  const inner = payloadJson(decodePayload(jws));
  if (inner === null) throw new AcmeProblem("malformed", "externalAccountBinding's payload must be the account key (RFC 8555 §7.3.4)");
  let same = false;
  try {
    same = (await jwkThumbprint(inner as JWK)) === (await jwkThumbprint(outerJwk));
  } catch {
    same = false;
  }
  if (!same) throw new AcmeProblem("unauthorized", "externalAccountBinding's payload is not the account key of the outer JWS (RFC 8555 §7.3.4)");
  return { kid: h.kid, jws };
}

/** Verifies the EAB MAC with the kid's HMAC key. */
export async function verifyExternalBinding(binding: ExternalBinding, hmacKey: Uint8Array): Promise<void> {
  try {
    await flattenedVerify({ protected: binding.jws.protected, payload: binding.jws.payload, signature: binding.jws.signature }, hmacKey, { algorithms: [binding.jws.header.alg] });
  } catch {
    throw new AcmeProblem("unauthorized", "externalAccountBinding's MAC does not verify with the key issued for its kid");
  }
}

/**
 * RFC 8555 §7.3.5: the keyChange payload is a JWS signed by the new key, with
 * jwk (no kid), no nonce, the same url; its payload names the account and the old key.
 * Returns the new key and the inner payload.
 */
export async function verifyKeyChange(value: unknown, outerUrl: string): Promise<{ newKey: JWK; account: unknown; oldKey: unknown }> {
  const jws = parseFlattenedJws(value, "the keyChange inner JWS");
  const h = jws.header;
  if (!(ACCOUNT_ALGS as readonly string[]).includes(h.alg)) throw badAlgorithm(h.alg);
  if (h.jwk === undefined || h.kid !== undefined) throw new AcmeProblem("malformed", "the keyChange inner JWS must carry the new key in jwk, and no kid (RFC 8555 §7.3.5)");
  if (h.nonce !== undefined) throw new AcmeProblem("malformed", "the keyChange inner JWS must not carry a nonce (RFC 8555 §7.3.5)");
  if (h.url !== outerUrl) throw new AcmeProblem("malformed", "the keyChange inner JWS's url differs from the outer JWS's (RFC 8555 §7.3.5)");
  const payload = payloadJson(await verifyWithAccountKey(jws, h.jwk));
  if (payload === null) throw new AcmeProblem("malformed", "the keyChange inner payload must hold account and oldKey");
  return { newKey: publicAccountJwk(h.jwk, h.alg), account: payload["account"], oldKey: payload["oldKey"] };
}

/** The account key as SPKI DER, to compare with a CSR's or certificate's key. */
export function accountKeySpki(jwk: JWK): Promise<Uint8Array | null> {
  // Per isolate, like the imported keys: finalize asks for it once per certificate of the same account.
  const id = `${jwk.kty}|${jwk.crv ?? ""}|${jwk.n ?? ""}|${jwk.e ?? ""}|${jwk.x ?? ""}|${jwk.y ?? ""}`;
  let spki = SPKI.get(id);
  if (!spki) {
    spki = exportSpki(jwk);
    if (SPKI.size >= MAX_IMPORTED) SPKI.delete(SPKI.keys().next().value!);
    SPKI.set(id, spki);
  }
  return spki;
}

const SPKI = new Map<string, Promise<Uint8Array | null>>();

async function exportSpki(jwk: JWK): Promise<Uint8Array | null> {
  const alg = jwk.kty === "RSA" ? "RS256" : jwk.kty === "OKP" ? "EdDSA" : jwk.crv === "P-384" ? "ES384" : "ES256";
  try {
    const key = await importJWK(jwk, alg, { extractable: true });
    if (key instanceof Uint8Array) return null;
    return new Uint8Array((await crypto.subtle.exportKey("spki", key)) as ArrayBuffer);
  } catch {
    return null;
  }
}
