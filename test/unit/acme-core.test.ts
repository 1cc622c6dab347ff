/**
 * The pure ACME core (src/pki/acme): MAC'd timestamped nonces (RFC 8555
 * §6.5), identifiers (§7.1.3, RFC 8738), the CSR-to-order rule (§7.4), JWS
 * structure and header rules (§6.2), and the EAB checks (§7.3.4), with real
 * keys and MACs.
 */
import { exportJWK, FlattenedSign, generateKeyPair } from "jose";
import { describe, expect, it } from "vitest";
import { checkRequestHeader, parseExternalBinding, parseFlattenedJws, publicAccountJwk, verifyExternalBinding, verifyWithAccountKey } from "../../src/pki/acme/jws.ts";
import { authorizationIdentifier, matchCsrToOrder, parseIdentifiers } from "../../src/pki/acme/identifiers.ts";
import { checkNonce, mintNonce, NONCE_LIFETIME_MS } from "../../src/pki/acme/nonce.ts";
import { AcmeProblem } from "../../src/pki/acme/problem.ts";
import { deriveAcmeKeys, eabHmacKey, eabHmacKeyText } from "../../src/pki/acme/secrets.ts";

const keys = await deriveAcmeKeys(new Uint8Array(32).fill(7));
const NOW = Date.UTC(2026, 11, 7, 12);
const enc = new TextEncoder();
const b64 = (s: string) => Buffer.from(s).toString("base64url");

function problemOf(f: () => unknown): { type: string; detail: string } | null {
  try {
    f();
    return null;
  } catch (e) {
    if (e instanceof AcmeProblem) return { type: e.type, detail: e.detail };
    throw e;
  }
}

async function problemOfAsync(f: () => Promise<unknown>): Promise<{ type: string; detail: string } | null> {
  try {
    await f();
    return null;
  } catch (e) {
    if (e instanceof AcmeProblem) return { type: e.type, detail: e.detail };
    throw e;
  }
}

describe("nonces (RFC 8555 §6.5)", () => {
  it("accepts its own nonce until it expires, base64url of 40 bytes", async () => {
    const n = await mintNonce(keys.nonce, NOW);
    expect(n).toMatch(/^[A-Za-z0-9_-]{54}$/);
    expect(await checkNonce(keys.nonce, n, NOW + 1000)).toEqual({ ok: true, expiresAtMs: NOW + NONCE_LIFETIME_MS });
    expect(await checkNonce(keys.nonce, n, NOW + NONCE_LIFETIME_MS + 1)).toEqual({ ok: false, reason: "expired" });
  });

  it("rejects a nonce from the future beyond a minute of skew", async () => {
    const n = await mintNonce(keys.nonce, NOW + 120_000);
    expect(await checkNonce(keys.nonce, n, NOW)).toEqual({ ok: false, reason: "expired" });
  });

  it("rejects a nonce under another key, a flipped bit, and malformed text", async () => {
    const other = await deriveAcmeKeys(new Uint8Array(32).fill(8));
    const n = await mintNonce(keys.nonce, NOW);
    expect(await checkNonce(other.nonce, n, NOW)).toEqual({ ok: false, reason: "unknown" });
    const flipped = n[5] === "A" ? "B" : "A";
    expect(await checkNonce(keys.nonce, n.slice(0, 5) + flipped + n.slice(6), NOW)).toEqual({ ok: false, reason: "unknown" });
    for (const bad of ["", "x", n + "A", n.slice(0, -1) + "=", "!".repeat(54)]) expect((await checkNonce(keys.nonce, bad, NOW)).ok, bad).toBe(false);
  });

  it("derives a different 32-byte EAB key per kid, stable for the same kid", async () => {
    const a = await eabHmacKey(keys, "kid-a");
    expect(a).toHaveLength(32);
    expect(await eabHmacKey(keys, "kid-a")).toEqual(a);
    expect(await eabHmacKey(keys, "kid-b")).not.toEqual(a);
    expect(await eabHmacKeyText(keys, "kid-a")).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe("identifiers (RFC 8555 §7.1.3, RFC 8738)", () => {
  it.each([
    [[{ type: "dns", value: "CP.Example.COM." }], ["cp.example.com"]],
    [[{ type: "ip", value: "fd00:0::1" }], ["fd00::1"]],
    [[{ type: "dns", value: "a.example.com" }, { type: "dns", value: "A.example.com" }], ["a.example.com"]],
    [[{ type: "dns", value: "*.mesh.example.com" }], ["*.mesh.example.com"]],
  ])("accepts and normalizes %j", (raw, values) => {
    expect(parseIdentifiers(raw).map((n) => n.value)).toEqual(values);
  });

  it.each([
    [[], "malformed"],
    ["cp.example.com", "malformed"],
    [[{ type: "dns" }], "malformed"],
    [[{ type: "email", value: "a@example.com" }], "unsupportedIdentifier"],
    [[{ type: "dns", value: "10.0.0.1" }], "malformed"],
    [[{ type: "dns", value: "::1" }], "malformed"],
    [[{ type: "ip", value: "cp.example.com" }], "rejectedIdentifier"],
    [[{ type: "ip", value: "[::1]" }], "rejectedIdentifier"],
    [[{ type: "dns", value: "*.com" }], "rejectedIdentifier"],
    [Array.from({ length: 101 }, (_, i) => ({ type: "dns", value: `n${i}.example.com` })), "malformed"],
  ])("rejects %j with %s", (raw, type) => {
    expect(problemOf(() => parseIdentifiers(raw))?.type).toBe(type);
  });

  it("answers an IP address sent as a dns identifier (lego 4.9.1) with malformed naming RFC 8738, as Pebble does", () => {
    let p: AcmeProblem | undefined;
    try {
      parseIdentifiers([{ type: "dns", value: "cp.example.com" }, { type: "dns", value: "10.0.0.1" }]);
    } catch (e) {
      if (e instanceof AcmeProblem) p = e;
    }
    expect(p?.type).toBe("malformed");
    expect(p?.status).toBe(400);
    expect(p?.detail).toContain('an IP address must be an identifier of type "ip" (RFC 8738)');
    expect(p?.options.subproblems).toEqual([{ type: "malformed", detail: expect.stringContaining("10.0.0.1") as unknown, identifier: { type: "dns", value: "10.0.0.1" } }]);
    // The same address as an ip identifier is fine.
    expect(parseIdentifiers([{ type: "ip", value: "10.0.0.1" }]).map((n) => n.value)).toEqual(["10.0.0.1"]);
  });

  it.each([
    ["https://cp.example.com", /"https:\/\/cp\.example\.com" is a URL; send the host name alone: "cp\.example\.com"/],
    ["cp.example.com:5443", /has a port \(":5443"\).*remove it/],
    ["cp example.com", /contains a space \(U\+0020\).*remove the white space/],
    ["cp.example.com/path", /has a path \("\/path"\): remove it/],
  ])("refuses the dns identifier %j with the hostname rules' message, at the top level and in its subproblem", (value, message) => {
    let p: AcmeProblem | undefined;
    try {
      parseIdentifiers([{ type: "dns", value }]);
    } catch (e) {
      if (e instanceof AcmeProblem) p = e;
    }
    expect(p?.type).toBe("rejectedIdentifier");
    expect(p?.detail).toMatch(message);
    expect(p?.options.subproblems).toEqual([{ type: "rejectedIdentifier", detail: expect.stringMatching(message) as unknown, identifier: { type: "dns", value } }]);
  });

  it("gives a wildcard's authorization the base name, marked wildcard (RFC 8555 §7.1.4)", () => {
    expect(authorizationIdentifier(parseIdentifiers([{ type: "dns", value: "*.mesh.example.com" }])[0]!)).toEqual({ identifier: { type: "dns", value: "mesh.example.com" }, wildcard: true });
  });
});

describe("a CSR's names against its order (RFC 8555 §7.4)", () => {
  const order = [{ type: "dns" as const, value: "cp.example.com" }, { type: "ip" as const, value: "10.0.0.1" }];
  it.each([
    [["CP.example.com", "10.0.0.1"], [], null],
    [["10.0.0.1", "cp.example.com."], ["cp.example.com"], null],
    [["cp.example.com", "10.0.0.1"], ["10.0.0.1"], null],
    [["cp.example.com"], [], "names_differ"],
    [["cp.example.com", "10.0.0.1", "x.example.com"], [], "names_differ"],
    [["cp.example.com", "10.0.0.1"], ["other.example.com"], "cn_not_a_name"],
    [["cp.example.com", "10.0.0.1", "a..b"], [], "invalid_name"],
  ])("SANs %j with CN %j → %s", (sans, cns, reason) => {
    expect(matchCsrToOrder(sans, cns, order)?.reason ?? null).toBe(reason);
  });
});

describe("JWS structure and headers (RFC 8555 §6.2)", () => {
  const header = (h: Record<string, unknown>) => b64(JSON.stringify(h));
  it.each([
    [null, /flattened JWS/],
    [{ protected: header({ alg: "ES256", url: "u" }), payload: "", signature: "" , header: {} }, /Unprotected Header/],
    [{ protected: header({ alg: "ES256", url: "u" }), payload: "", signature: "", signatures: [] }, /unexpected member/],
    [{ protected: "!!", payload: "", signature: "" }, /base64url/],
    [{ protected: header({ url: "u" }), payload: "", signature: "" }, /no alg/],
    [{ protected: header({ alg: "ES256" }), payload: "", signature: "" }, /no url/],
    [{ protected: b64("[1]"), payload: "", signature: "" }, /not a JSON object/],
  ])("rejects %j", (value, detail) => {
    expect(problemOf(() => parseFlattenedJws(value))?.detail).toMatch(detail);
  });

  it.each([
    [{ alg: "none" }, "badSignatureAlgorithm"],
    [{ alg: "HS256" }, "badSignatureAlgorithm"],
    [{ url: "https://ca.example.com/acme/new-order" }, "unauthorized"],
    [{ kid: "k", jwk: {} }, "malformed"],
    [{ jwk: undefined }, "malformed"],
  ])("header %j is refused with %s", (override, type) => {
    const h = { alg: "ES256", nonce: "n", url: "https://ca.example.com/acme/new-account", kid: undefined, jwk: { kty: "EC" }, ...override };
    expect(problemOf(() => checkRequestHeader(h as never, "https://ca.example.com/acme/new-account", "either"))?.type).toBe(type);
  });

  it("refuses an RSA key under 2048 bits and private key material; verifies a real ES256 signature", async () => {
    const rsa = await generateKeyPair("RS256", { modulusLength: 2048, extractable: true });
    const full = await exportJWK(rsa.publicKey);
    const short = { kty: "RSA", e: full.e!, n: full.n!.slice(0, 170) };
    expect(problemOf(() => publicAccountJwk(short, "RS256"))?.detail).toMatch(/2048 to 8192 bits/);
    expect(problemOf(() => publicAccountJwk({ ...full, d: "x" }, "RS256"))?.type).toBe("badPublicKey");
    expect(problemOf(() => publicAccountJwk(full, "ES256"))?.type).toBe("badPublicKey");

    const ec = await generateKeyPair("ES256", { extractable: true });
    const jwk = await exportJWK(ec.publicKey);
    const signed = await new FlattenedSign(enc.encode('{"a":1}')).setProtectedHeader({ alg: "ES256", url: "u", nonce: "n", jwk }).sign(ec.privateKey);
    const jws = parseFlattenedJws(signed);
    expect(new TextDecoder().decode(await verifyWithAccountKey(jws, jwk))).toBe('{"a":1}');
    const other = await exportJWK((await generateKeyPair("ES256", { extractable: true })).publicKey);
    expect((await problemOfAsync(() => verifyWithAccountKey(jws, other)))?.detail).toMatch(/does not verify/);
  });
});

describe("External Account Binding (RFC 8555 §7.3.4)", () => {
  const url = "https://ca.example.com/acme/new-account";
  async function setup() {
    const account = await exportJWK((await generateKeyPair("ES256", { extractable: true })).publicKey);
    const hmac = await eabHmacKey(keys, "kid-1");
    const make = (header: Record<string, unknown>, payload: unknown = account, key: Uint8Array = hmac) =>
      new FlattenedSign(enc.encode(JSON.stringify(payload))).setProtectedHeader({ alg: "HS256", kid: "kid-1", url, ...header } as never).sign(key);
    return { account, hmac, make };
  }

  it("accepts HS256, HS384 and HS512 over the outer key", async () => {
    const { account, hmac, make } = await setup();
    for (const alg of ["HS256", "HS384", "HS512"]) {
      const binding = await parseExternalBinding(await make({ alg }), account, url);
      expect(binding.kid).toBe("kid-1");
      await verifyExternalBinding(binding, hmac);
    }
  });

  it("refuses a nonce, another url, another payload, an asymmetric alg and a wrong MAC", async () => {
    const { account, make } = await setup();
    const other = await exportJWK((await generateKeyPair("ES256", { extractable: true })).publicKey);
    expect((await problemOfAsync(async () => parseExternalBinding(await make({ nonce: "n" }), account, url)))?.detail).toMatch(/nonce/);
    expect((await problemOfAsync(async () => parseExternalBinding(await make({ url: `${url}x` }), account, url)))?.detail).toMatch(/url/);
    expect((await problemOfAsync(async () => parseExternalBinding(await make({}, other), account, url)))?.detail).toMatch(/payload/);
    const rs = parseFlattenedJws(await make({}));
    const forged = { protected: b64(JSON.stringify({ alg: "ES256", kid: "kid-1", url })), payload: rs.payload, signature: rs.signature };
    expect((await problemOfAsync(() => parseExternalBinding(forged, account, url)))?.detail).toMatch(/MAC algorithm/);
    const wrong = await parseExternalBinding(await make({}, account, new Uint8Array(32)), account, url);
    const right = await eabHmacKey(keys, "kid-1");
    expect((await problemOfAsync(() => verifyExternalBinding(wrong, right)))?.detail).toMatch(/MAC does not verify/);
  });
});
