/**
 * The ACME server (RFC 8555) inside workerd with JWS crafted by jose: the
 * resources and their headers, and the negative matrix of issue 19 — nonces,
 * url, kid/jwk, accounts, another account's resources, every External
 * Account Binding check (§7.3.4), policy refusals, CSR rules, finalize once,
 * principals removed or rotated, OIDC-bound expiry, algorithms.
 */
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../../src/index.ts";
import { beforeAll, describe, expect, it } from "vitest";
import type { Env } from "../../src/config.ts";
import { mintNonce } from "../../src/pki/acme/nonce.ts";
import { deriveAcmeKeys } from "../../src/pki/acme/secrets.ts";
import { fromBase64 } from "../../src/pki/bytes.ts";
import {
  accountKey,
  acmePost,
  BASE,
  createEab,
  csrFor,
  direct,
  dns,
  eabJws,
  expectAcmeProblem,
  freshNonce,
  JOSE,
  newOrder,
  pathOf,
  postJws,
  rawRs256Jws,
  register,
  signJws,
  withEnv,
  type Account,
} from "./acme-helpers.ts";
import { call, expectProblem, tokens } from "./helpers.ts";
import { clusterKey, inlineTrust, k8sClaims, type InlineTrust } from "./oidc-helpers.ts";

const SECOND = 1000;

async function finalize(account: Account, orderUrl: string, names: string[], o: { cn?: string; keys?: CryptoKeyPair } = {}): Promise<Response> {
  const { csr } = await csrFor(names, o);
  return acmePost(account.key, `${pathOf(orderUrl)}/finalize`, { csr }, { kid: account.url });
}

async function issue(account: Account, names: string[]): Promise<{ orderUrl: string; certUrl: string; chain: string }> {
  const { url } = await newOrder(account, dns(...names));
  const res = await finalize(account, url, names);
  expect(res.status, await res.clone().text()).toBe(200);
  const order = (await res.json()) as { certificate: string };
  const cert = await acmePost(account.key, pathOf(order.certificate), "", { kid: account.url });
  return { orderUrl: url, certUrl: order.certificate, chain: await cert.text() };
}

function derOf(pem: string): string {
  const b64 = pem.split("-----")[2]!.replace(/\s+/g, "");
  return b64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

describe("directory and nonces", () => {
  it("serves the directory with externalAccountRequired and renewalInfo, a nonce and the index link", async () => {
    const res = await call("/acme/directory");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      newNonce: `${BASE}/acme/new-nonce`,
      newAccount: `${BASE}/acme/new-account`,
      newOrder: `${BASE}/acme/new-order`,
      revokeCert: `${BASE}/acme/revoke-cert`,
      keyChange: `${BASE}/acme/key-change`,
      renewalInfo: `${BASE}/acme/renewal-info`,
      meta: { externalAccountRequired: true, website: `${BASE}/docs` },
    });
    expect(res.headers.get("Replay-Nonce")).toMatch(/^[A-Za-z0-9_-]{54}$/);
    expect(res.headers.get("Link")).toBe(`<${BASE}/acme/directory>;rel="index"`);
  });

  it("answers newNonce with HEAD 200 and GET 204, no-store (RFC 8555 §7.2)", async () => {
    const head = await call("/acme/new-nonce", { method: "HEAD" });
    const get = await call("/acme/new-nonce");
    expect([head.status, get.status]).toEqual([200, 204]);
    for (const r of [head, get]) expect([r.headers.get("Cache-Control"), !!r.headers.get("Replay-Nonce")]).toEqual(["no-store", true]);
    expect(head.headers.get("Replay-Nonce")).not.toBe(get.headers.get("Replay-Nonce"));
  });

  it("uses PUBLIC_URL for every URL and the JWS url check", async () => {
    const t = withEnv({ PUBLIC_URL: "https://ca.example.com" });
    const dir = (await (await t("/acme/directory", {})).json()) as { newAccount: string };
    expect(dir.newAccount).toBe("https://ca.example.com/acme/new-account");
    const key = await accountKey();
    const wrong = await postJws("/acme/new-account", await signJws(key, "/acme/new-account", {}, {}, t), t);
    // The worker sees http://edgeca.test, but the JWS must name the public URL.
    expect((await expectAcmeProblem(wrong, 403, "unauthorized", "https://ca.example.com")).detail).toMatch(/https:\/\/ca\.example\.com\/acme\/new-account/);
    const right = await postJws("/acme/new-account", await signJws(key, "/acme/new-account", { onlyReturnExisting: true }, { url: "https://ca.example.com/acme/new-account" }, t), t);
    const p = await right.json();
    expect(p).toMatchObject({ type: "urn:ietf:params:acme:error:accountDoesNotExist" });
  });

  it("refuses a replayed nonce with badNonce and a fresh Replay-Nonce, which then works", async () => {
    const account = await register();
    const nonce = await freshNonce();
    const body = await signJws(account.key, pathOf(account.url), "", { kid: account.url, nonce });
    expect((await postJws(pathOf(account.url), body)).status).toBe(200);
    const replay = await postJws(pathOf(account.url), body);
    const fresh = replay.headers.get("Replay-Nonce")!;
    expect((await expectAcmeProblem(replay, 400, "badNonce")).detail).toMatch(/already used/);
    expect((await acmePost(account.key, pathOf(account.url), "", { kid: account.url, nonce: fresh })).status).toBe(200);
  });

  it("refuses a nonce it did not issue, an expired one, and a missing one", async () => {
    const account = await register();
    const keys = await deriveAcmeKeys(fromBase64(env.STORE_KEY!));
    const expired = await mintNonce(keys.nonce, Date.now() - 31 * 60 * SECOND);
    const otherKeys = await deriveAcmeKeys(crypto.getRandomValues(new Uint8Array(32)));
    const foreign = await mintNonce(otherKeys.nonce, Date.now());
    expect((await expectAcmeProblem(await acmePost(account.key, pathOf(account.url), "", { kid: account.url, nonce: expired }), 400, "badNonce")).detail).toMatch(/expired/);
    expect((await expectAcmeProblem(await acmePost(account.key, pathOf(account.url), "", { kid: account.url, nonce: foreign }), 400, "badNonce")).detail).toMatch(/not issued/);
    await expectAcmeProblem(await acmePost(account.key, pathOf(account.url), "", { kid: account.url, nonce: null }), 400, "badNonce");
  });
});

describe("JWS rules (RFC 8555 §6.2)", () => {
  it("refuses a url that is not the request URL", async () => {
    const key = await accountKey();
    await expectAcmeProblem(await acmePost(key, "/acme/new-account", {}, { url: `${BASE}/acme/new-order` }), 403, "unauthorized");
  });

  it("refuses kid on newAccount, jwk on newOrder, and both at once", async () => {
    const account = await register();
    await expectAcmeProblem(await acmePost(account.key, "/acme/new-account", {}, { kid: account.url }), 400, "malformed");
    await expectAcmeProblem(await acmePost(account.key, "/acme/new-order", { identifiers: dns("cp.example.com") }), 400, "malformed");
    await expectAcmeProblem(await acmePost(account.key, "/acme/new-order", { identifiers: dns("cp.example.com") }, { kid: account.url, header: { jwk: account.key.jwk } }), 400, "malformed");
  });

  it.each(["none", "HS256", "RS384", "ES512"])("refuses alg %s outside EAB with badSignatureAlgorithm listing the accepted ones", async (alg) => {
    const key = await accountKey();
    const nonce = await freshNonce();
    const header = { alg, nonce, url: `${BASE}/acme/new-account`, jwk: key.jwk };
    const b64 = (s: string) => btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    const body = JSON.stringify({ protected: b64(JSON.stringify(header)), payload: b64("{}"), signature: alg === "none" ? "" : b64("not a signature") });
    const p = await expectAcmeProblem(await postJws("/acme/new-account", body), 400, "badSignatureAlgorithm");
    expect(p["algorithms"]).toEqual(["RS256", "ES256", "ES384", "EdDSA"]);
  });

  it("refuses an RSA account key under 2048 bits, a bad signature, the wrong Content-Type and an unprotected header", async () => {
    const small = (await crypto.subtle.generateKey({ name: "RSASSA-PKCS1-v1_5", modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const jwk = (await crypto.subtle.exportKey("jwk", small.publicKey)) as JsonWebKey;
    const header = { alg: "RS256", nonce: await freshNonce(), url: `${BASE}/acme/new-account`, jwk: { kty: "RSA", n: jwk.n!, e: jwk.e! } };
    expect((await expectAcmeProblem(await postJws("/acme/new-account", await rawRs256Jws(small.privateKey, header, {})), 400, "badPublicKey")).detail).toMatch(/2048/);

    const good = await accountKey();
    const body = JSON.parse(await signJws(good, "/acme/new-account", { onlyReturnExisting: true })) as Record<string, string>;
    await expectAcmeProblem(await postJws("/acme/new-account", JSON.stringify({ ...body, signature: body.signature!.slice(0, -4) + "AAAA" })), 400, "malformed");
    await expectAcmeProblem(await postJws("/acme/new-account", JSON.stringify({ ...body, header: { kid: "x" } })), 400, "malformed");
    await expectAcmeProblem(await postJws("/acme/new-account", await signJws(good, "/acme/new-account", {}), direct, "application/json"), 415, "malformed");
  });

  it("refuses a body over the size limit", async () => {
    const res = await direct("/acme/new-account", { method: "POST", rawBody: "x".repeat(70_000), headers: { "Content-Type": JOSE } });
    await expectAcmeProblem(res, 413, "malformed");
  });

  it("accepts RS256, ES384 and EdDSA account keys", async () => {
    for (const alg of ["RS256", "ES384", "EdDSA"] as const) {
      const account = await register(tokens.zoneA, direct, alg);
      expect((await acmePost(account.key, pathOf(account.url), "", { kid: account.url })).status, alg).toBe(200);
    }
  });
});

describe("External Account Binding (RFC 8555 §7.3.4)", () => {
  it("issues one-time credentials: unpadded base64url key of 32 bytes, a kid, the directory and an expiry", async () => {
    const eab = await createEab();
    expect(eab.hmac_key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(eab.directory).toBe(`${BASE}/acme/directory`);
    expect(Date.parse(eab.expires_at) - Date.now()).toBeGreaterThan(23 * 3600 * SECOND);
    await expectProblem(await call("/v1/acme/eab", { method: "POST", token: tokens.reader }), 403, "insufficient_scope");
    await expectProblem(await call("/v1/acme/eab", { method: "POST" }), 401, "unauthorized");
  });

  it("requires an EAB on newAccount", async () => {
    const key = await accountKey();
    await expectAcmeProblem(await acmePost(key, "/acme/new-account", { termsOfServiceAgreed: true }), 403, "externalAccountRequired");
  });

  it("spends the kid: a second account with it is refused", async () => {
    const account = await register();
    const other = await accountKey();
    const res = await acmePost(other, "/acme/new-account", { externalAccountBinding: await eabJws(account.eab, other) });
    expect((await expectAcmeProblem(res, 403, "unauthorized")).detail).toMatch(/already used/);
  });

  it("binds one account when two keys race for the same kid", async () => {
    const eab = await createEab();
    const [k1, k2] = [await accountKey(), await accountKey()];
    const results = await Promise.all([k1, k2].map(async (k) => acmePost(k, "/acme/new-account", { externalAccountBinding: await eabJws(eab, k) })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 403]);
    const accounts = await env.DB!.prepare("SELECT COUNT(*) AS n FROM acme_accounts WHERE eab_kid = ?").bind(eab.kid).first<{ n: number }>();
    expect(accounts!.n).toBe(1);
  });

  it("refuses an expired kid", async () => {
    const eab = await createEab();
    await env.DB!.prepare("UPDATE acme_eab SET expires_at = ? WHERE kid = ?").bind(new Date(Date.now() - SECOND).toISOString(), eab.kid).run();
    const key = await accountKey();
    expect((await expectAcmeProblem(await acmePost(key, "/acme/new-account", { externalAccountBinding: await eabJws(eab, key) }), 403, "unauthorized")).detail).toMatch(/expired/);
  });

  it("refuses a wrong MAC, a nonce, another inner url, a payload that is not the outer key, a jwk-signed EAB and an unknown kid", async () => {
    const eab = await createEab();
    const key = await accountKey();
    const other = await accountKey();
    const cases: [unknown, number, string, RegExp][] = [
      [await eabJws(eab, key, { hmacKey: crypto.getRandomValues(new Uint8Array(32)) }), 403, "unauthorized", /MAC/],
      [await eabJws(eab, key, { header: { nonce: await freshNonce() } }), 400, "malformed", /nonce/],
      [await eabJws(eab, key, { header: { url: `${BASE}/acme/new-order` } }), 403, "unauthorized", /url/],
      [await eabJws(eab, key, { payload: other.jwk }), 403, "unauthorized", /payload/],
      [JSON.parse(await signJws(key, "/acme/new-account", key.jwk, { nonce: null, header: { kid: eab.kid, jwk: undefined } })), 400, "malformed", /MAC algorithm/],
      [await eabJws({ kid: "no-such-kid", hmac_key: eab.hmac_key }, key), 403, "unauthorized", /unknown kid/],
    ];
    for (const [binding, status, type, detail] of cases) {
      const p = await expectAcmeProblem(await acmePost(key, "/acme/new-account", { externalAccountBinding: binding }), status, type);
      expect(p.detail).toMatch(detail);
    }
    // None of them spent the kid: the genuine binding still works, with HS512 too.
    const ok = await acmePost(key, "/acme/new-account", { externalAccountBinding: await eabJws(eab, key, { alg: "HS512" }) });
    expect(ok.status).toBe(201);
  });

  it("returns an existing key's account (200 + Location) without spending the new EAB; onlyReturnExisting finds or refuses", async () => {
    const account = await register();
    const unused = await createEab();
    const again = await acmePost(account.key, "/acme/new-account", { externalAccountBinding: await eabJws(unused, account.key) });
    expect([again.status, again.headers.get("Location")]).toEqual([200, account.url]);
    const found = await acmePost(account.key, "/acme/new-account", { onlyReturnExisting: true });
    expect([found.status, found.headers.get("Location")]).toEqual([200, account.url]);
    await expectAcmeProblem(await acmePost(await accountKey(), "/acme/new-account", { onlyReturnExisting: true }), 400, "accountDoesNotExist");
    // The unused kid still binds a new key.
    const fresh = await accountKey();
    expect((await acmePost(fresh, "/acme/new-account", { externalAccountBinding: await eabJws(unused, fresh) })).status).toBe(201);
  });
});

describe("accounts", () => {
  it("refuses an unknown account and a deactivated one everywhere, newAccount included", async () => {
    const account = await register();
    await expectAcmeProblem(await acmePost(account.key, "/acme/new-order", { identifiers: dns("cp.example.com") }, { kid: `${BASE}/acme/account/nope` }), 400, "accountDoesNotExist");
    const res = await acmePost(account.key, pathOf(account.url), { status: "deactivated" }, { kid: account.url });
    expect(((await res.json()) as { status: string }).status).toBe("deactivated");
    await expectAcmeProblem(await acmePost(account.key, "/acme/new-order", { identifiers: dns("cp.example.com") }, { kid: account.url }), 403, "unauthorized");
    await expectAcmeProblem(await acmePost(account.key, "/acme/new-account", { onlyReturnExisting: true }), 403, "unauthorized");
  });

  it("refuses at once an account deactivated or re-keyed by another isolate, though this one verified with its copy", async () => {
    const account = await register();
    const id = account.url.split("/").pop()!;
    const { url, res } = await newOrder(account, dns("cp.example.com"));
    expect(res.status).toBe(201);
    // Another isolate deactivates it: this isolate's copy still says valid, storage does not.
    await env.DB!.prepare("UPDATE acme_accounts SET status = 'deactivated' WHERE id = ?").bind(id).run();
    // Refused before any write (a name outside the policy): still unauthorized, the account's state comes first.
    await expectAcmeProblem((await newOrder(account, dns("evil.example.org"))).res, 403, "unauthorized");
    // Valid again (read, so this isolate's copy is back), then deactivated elsewhere once more: a write is refused too.
    await env.DB!.prepare("UPDATE acme_accounts SET status = 'valid' WHERE id = ?").bind(id).run();
    expect((await newOrder(account, dns("cp.example.com"))).res.status).toBe(201);
    await env.DB!.prepare("UPDATE acme_accounts SET status = 'deactivated' WHERE id = ?").bind(id).run();
    await expectAcmeProblem((await newOrder(account, dns("cp.example.com"))).res, 403, "unauthorized");
    await expectAcmeProblem(await acmePost(account.key, pathOf(url), "", { kid: account.url }), 403, "unauthorized");
    const orders = await env.DB!.prepare("SELECT COUNT(*) AS n FROM acme_orders WHERE account_id = ?").bind(id).first<{ n: number }>();
    expect(orders!.n).toBe(2);
    // Another account's key rolled over elsewhere: the old key no longer acts, even where it was cached.
    const other = await register();
    const otherId = other.url.split("/").pop()!;
    await newOrder(other, dns("cp.example.com"));
    await env.DB!.prepare("UPDATE acme_accounts SET thumbprint = 'rekeyed', jwk = ? WHERE id = ?").bind(JSON.stringify((await accountKey()).jwk), otherId).run();
    await expectAcmeProblem((await newOrder(other, dns("cp.example.com"))).res, 400, "malformed");
    const otherOrders = await env.DB!.prepare("SELECT COUNT(*) AS n FROM acme_orders WHERE account_id = ?").bind(otherId).first<{ n: number }>();
    expect(otherOrders!.n).toBe(1);
  });

  it("updates contact and lists orders", async () => {
    const account = await register();
    const res = await acmePost(account.key, pathOf(account.url), { contact: ["mailto:ops@example.com"] }, { kid: account.url });
    const body = (await res.json()) as { contact: string[]; orders: string };
    expect(body.contact).toEqual(["mailto:ops@example.com"]);
    await expectAcmeProblem(await acmePost(account.key, pathOf(account.url), { contact: ["tel:+1555"] }, { kid: account.url }), 400, "invalidContact");
    const { url } = await newOrder(account, dns("cp.example.com"));
    const orders = (await (await acmePost(account.key, pathOf(body.orders), "", { kid: account.url })).json()) as { orders: string[] };
    expect(orders.orders).toEqual([url]);
  });

  it("lists the account's orders that are not invalid (RFC 8555 §7.1.2.1), 100 a page with Link rel=\"next\"", async () => {
    const account = await register();
    const id = account.url.split("/").pop()!;
    const ordersUrl = `${account.url}/orders`;
    const list = async (path: string) => {
      const res = await acmePost(account.key, path, "", { kid: account.url });
      expect(res.status, await res.clone().text()).toBe(200);
      const next = /<([^>]+)>;rel="next"/.exec(res.headers.get("Link") ?? "")?.[1];
      return { orders: ((await res.json()) as { orders: string[] }).orders, next };
    };
    const ready = await newOrder(account, dns("cp.example.com"));
    const dry = await newOrder(account, dns("cp.example.com"));
    await acmePost(account.key, pathOf(dry.order.authorizations[0]!), { status: "deactivated" }, { kid: account.url });
    const { orderUrl: valid } = await issue(account, ["cp.example.com"]);
    const first = await list(pathOf(ordersUrl));
    expect([...first.orders].sort()).toEqual([ready.url, valid].sort());
    expect(first.next).toBeUndefined();
    // 99 more unexpired ready orders (older), one invalid by status, one expired: 101 listable, so two pages.
    const at = (i: number) => new Date(Date.now() - (i + 1) * 60_000).toISOString();
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const rows = Array.from({ length: 101 }, (_, i) => ({ id: `bulk${String(i).padStart(3, "0")}`, status: i === 99 ? "invalid" : "ready", expires: i === 100 ? at(0) : future, created: at(i) }));
    await env.DB!.batch(
      rows.map((r) =>
        env.DB!.prepare("INSERT INTO acme_orders (id, account_id, status, identifiers, expires_at, created_at) VALUES (?, ?, ?, '[]', ?, ?)").bind(r.id, id, r.status, r.expires, r.created),
      ),
    );
    const page1 = await list(pathOf(ordersUrl));
    expect(page1.orders).toHaveLength(100);
    expect(page1.next).toMatch(new RegExp(`^${ordersUrl}\\?cursor=`));
    const page2 = await list(pathOf(page1.next!));
    expect(page2.next).toBeUndefined();
    const all = [...page1.orders, ...page2.orders];
    expect(new Set(all).size).toBe(101);
    expect(all).toEqual(expect.arrayContaining([ready.url, valid, `${BASE}/acme/order/bulk000`, `${BASE}/acme/order/bulk098`]));
    expect(all).not.toContain(dry.url);
    expect(all).not.toContain(`${BASE}/acme/order/bulk099`);
    expect(all).not.toContain(`${BASE}/acme/order/bulk100`);
    await expectAcmeProblem(await acmePost(account.key, `${pathOf(ordersUrl)}?cursor=x`, "", { kid: account.url }), 400, "malformed");
  });

  it("rolls the key over (RFC 8555 §7.3.5); a key already taken is 409 with the holder's Location", async () => {
    const account = await register();
    const holder = await register();
    const next = await accountKey();
    const inner = (key: typeof next, oldKey: unknown) => signJws(key, "/acme/key-change", { account: account.url, oldKey }, { nonce: null });
    const taken = await acmePost(account.key, "/acme/key-change", JSON.parse(await inner(holder.key, account.key.jwk)), { kid: account.url });
    expect(taken.headers.get("Location")).toBe(holder.url);
    await expectAcmeProblem(taken, 409, "malformed");
    await expectAcmeProblem(await acmePost(account.key, "/acme/key-change", JSON.parse(await inner(next, holder.key.jwk)), { kid: account.url }), 403, "unauthorized");
    expect((await acmePost(account.key, "/acme/key-change", JSON.parse(await inner(next, account.key.jwk)), { kid: account.url })).status).toBe(200);
    await expectAcmeProblem(await acmePost(account.key, pathOf(account.url), "", { kid: account.url }), 400, "malformed");
    expect((await acmePost(next, pathOf(account.url), "", { kid: account.url })).status).toBe(200);
  });

  it("lets an admin list and deactivate accounts over /v1 (scope admin)", async () => {
    const account = await register();
    const id = account.url.split("/").pop()!;
    await expectProblem(await call("/v1/acme/accounts", { token: tokens.zoneA }), 403, "insufficient_scope");
    const list = (await (await call("/v1/acme/accounts", { token: tokens.admin })).json()) as { accounts: { id: string; principal: string; status: string }[] };
    expect(list.accounts.find((a) => a.id === id)).toMatchObject({ principal: "zone-a-pipeline", status: "valid" });
    const cut = await call(`/v1/acme/accounts/${id}/deactivate`, { method: "POST", token: tokens.admin });
    expect(((await cut.json()) as { status: string }).status).toBe("deactivated");
    await expectAcmeProblem(await acmePost(account.key, pathOf(account.url), "", { kid: account.url }), 403, "unauthorized");
    await expectProblem(await call("/v1/acme/accounts/nope/deactivate", { method: "POST", token: tokens.admin }), 404, "not_found");
  });
});

describe("orders by policy", () => {
  it("creates valid authorizations and a ready order; a wildcard's authorization is its base name", async () => {
    const account = await register();
    const { res, order } = await newOrder(account, [...dns("*.zone-a.mesh.example.com", "CP.Example.com."), { type: "ip", value: "fd00::0:1" }]);
    expect(res.status).toBe(201);
    expect(order.status).toBe("ready");
    expect(order.identifiers).toEqual([...dns("*.zone-a.mesh.example.com", "cp.example.com"), { type: "ip", value: "fd00::1" }]);
    const authz = await acmePost(account.key, pathOf(order.authorizations[0]!), "", { kid: account.url });
    expect(await authz.json()).toMatchObject({ identifier: { type: "dns", value: "zone-a.mesh.example.com" }, status: "valid", wildcard: true, challenges: [] });
  });

  it("refuses names outside the policy with rejectedIdentifier, one subproblem each", async () => {
    const account = await register();
    const { res } = await newOrder(account, dns("cp.example.com", "evil.example.org", "a.b.zone-a.mesh.example.com"));
    const p = await expectAcmeProblem(res, 403, "rejectedIdentifier");
    expect(p.subproblems?.map((s) => [s.type, s.identifier.value])).toEqual([
      ["urn:ietf:params:acme:error:rejectedIdentifier", "evil.example.org"],
      ["urn:ietf:params:acme:error:rejectedIdentifier", "a.b.zone-a.mesh.example.com"],
    ]);
  });

  it("answers an IP address sent as a dns identifier (lego 4.9.1) with malformed naming RFC 8738, and orders nothing", async () => {
    const account = await register();
    const { res } = await newOrder(account, dns("cp.example.com", "10.0.0.1"));
    const p = await expectAcmeProblem(res, 400, "malformed");
    expect(p.detail).toContain('an IP address must be an identifier of type "ip" (RFC 8738)');
    expect(p.subproblems?.map((s) => [s.type, s.identifier.type, s.identifier.value])).toEqual([["urn:ietf:params:acme:error:malformed", "dns", "10.0.0.1"]]);
    const orders = await env.DB!.prepare("SELECT COUNT(*) AS n FROM acme_orders WHERE account_id = ?").bind(account.url.split("/").pop()).first<{ n: number }>();
    expect(orders!.n).toBe(0);
  });

  it("refuses a notAfter beyond the maximum lifetime, naming it, and echoes an accepted one", async () => {
    const account = await register();
    const far = new Date(Date.now() + 400 * 86_400 * SECOND).toISOString();
    const p = await expectAcmeProblem((await newOrder(account, dns("cp.example.com"), { notAfter: far })).res, 400, "malformed");
    expect(p.detail).toMatch(/397d/);
    const near = new Date(Date.now() + 10 * 86_400 * SECOND).toISOString();
    const { order, url } = await newOrder(account, dns("cp.example.com"), { notAfter: near });
    expect(order.notAfter).toBe(near);
    const fin = (await (await finalize(account, url, ["cp.example.com"])).json()) as { certificate: string };
    const chain = await (await acmePost(account.key, pathOf(fin.certificate), "", { kid: account.url })).text();
    const leaf = new (await import("../../src/pki/x509.ts")).x509.X509Certificate(chain.split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----");
    expect(Math.abs(leaf.notAfter.getTime() - Date.parse(near))).toBeLessThan(5 * SECOND);
  });

  it("refuses another account's order, authorization and certificate", async () => {
    const a = await register();
    const b = await register();
    const issued = await issue(a, ["cp.example.com"]);
    const order = (await (await acmePost(a.key, pathOf(issued.orderUrl), "", { kid: a.url })).json()) as { authorizations: string[] };
    await expectAcmeProblem(await acmePost(b.key, pathOf(issued.orderUrl), "", { kid: b.url }), 403, "unauthorized");
    await expectAcmeProblem(await acmePost(b.key, pathOf(order.authorizations[0]!), "", { kid: b.url }), 403, "unauthorized");
    await expectAcmeProblem(await acmePost(b.key, pathOf(issued.certUrl), "", { kid: b.url }), 403, "unauthorized");
    await expectAcmeProblem(await acmePost(b.key, `${pathOf(issued.orderUrl)}/finalize`, { csr: (await csrFor(["cp.example.com"])).csr }, { kid: b.url }), 403, "unauthorized");
  });

  it("turns the order invalid when an authorization is deactivated (certbot --dry-run), and never revives it", async () => {
    const account = await register();
    const { url, order } = await newOrder(account, dns("cp.example.com"));
    const authz = pathOf(order.authorizations[0]!);
    const res = await acmePost(account.key, authz, { status: "deactivated" }, { kid: account.url });
    expect(((await res.json()) as { status: string }).status).toBe("deactivated");
    const after = (await (await acmePost(account.key, pathOf(url), "", { kid: account.url })).json()) as { status: string };
    expect(after.status).toBe("invalid");
    await expectAcmeProblem(await finalize(account, url, ["cp.example.com"]), 403, "orderNotReady");
    expect(((await (await acmePost(account.key, authz, "", { kid: account.url })).json()) as { status: string }).status).toBe("deactivated");
    // A new order gets new, valid authorizations.
    const next = await newOrder(account, dns("cp.example.com"));
    expect(next.order.authorizations[0]).not.toBe(order.authorizations[0]);
    expect(next.order.status).toBe("ready");
  });

  it("expires orders after ACME_ORDER_TTL", async () => {
    const account = await register();
    const { url } = await newOrder(account, dns("cp.example.com"));
    await env.DB!.prepare("UPDATE acme_orders SET expires_at = ? WHERE id = ?").bind(new Date(Date.now() - SECOND).toISOString(), url.split("/").pop()).run();
    expect(((await (await acmePost(account.key, pathOf(url), "", { kid: account.url })).json()) as { status: string }).status).toBe("invalid");
    await expectAcmeProblem(await finalize(account, url, ["cp.example.com"]), 403, "orderNotReady");
  });

  it("answers an order in processing with Retry-After (RFC 8555 §7.4), and a ready one without", async () => {
    const account = await register();
    const { url, res } = await newOrder(account, dns("cp.example.com"));
    expect(res.headers.get("Retry-After")).toBeNull();
    await env.DB!.prepare("UPDATE acme_orders SET status = 'processing' WHERE id = ?").bind(url.split("/").pop()).run();
    const polled = await acmePost(account.key, pathOf(url), "", { kid: account.url });
    expect([polled.status, ((await polled.json()) as { status: string }).status, polled.headers.get("Retry-After")]).toEqual([200, "processing", "1"]);
  });

  it("requires POST-as-GET (an empty payload) to read an order", async () => {
    const account = await register();
    const { url } = await newOrder(account, dns("cp.example.com"));
    await expectAcmeProblem(await acmePost(account.key, pathOf(url), {}, { kid: account.url }), 400, "malformed");
  });
});

describe("finalize", () => {
  it("issues once: the order turns valid with a certificate; a second finalize is orderNotReady", async () => {
    const account = await register();
    const { url } = await newOrder(account, dns("cp.example.com"));
    const first = await finalize(account, url, ["cp.example.com"], { cn: "cp.example.com" });
    expect([first.status, first.headers.get("Location")]).toEqual([200, url]);
    const body = (await first.json()) as { status: string; certificate: string };
    expect(body.status).toBe("valid");
    await expectAcmeProblem(await finalize(account, url, ["cp.example.com"]), 403, "orderNotReady");
    const cert = await acmePost(account.key, pathOf(body.certificate), "", { kid: account.url });
    expect(cert.headers.get("Content-Type")).toBe("application/pem-certificate-chain");
    const pem = await cert.text();
    expect(pem.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    const serial = body.certificate.split("/").pop()!;
    const record = (await (await call(`/v1/certificates/${serial}`, { token: tokens.admin })).json()) as { token_name: string; key_source: string };
    expect(record).toMatchObject({ token_name: "zone-a-pipeline", key_source: "csr" });
    const row = await env.DB!.prepare("SELECT acme_account_id FROM certificates WHERE serial = ?").bind(serial).first<{ acme_account_id: string }>();
    expect(row?.acme_account_id).toBe(account.url.split("/").pop());
  });

  it("answers a finalize retried with the same CSR (cert-manager#3777) with the order, and issues nothing new", async () => {
    const account = await register();
    const { url } = await newOrder(account, dns("cp.example.com"));
    const { csr } = await csrFor(["cp.example.com"]);
    const post = () => acmePost(account.key, `${pathOf(url)}/finalize`, { csr }, { kid: account.url });
    const first = await post();
    expect(first.status, await first.clone().text()).toBe(200);
    const body = (await first.json()) as { status: string; certificate: string };
    const again = await post();
    expect([again.status, again.headers.get("Location")]).toEqual([200, url]);
    expect(await again.json()).toMatchObject({ status: "valid", certificate: body.certificate });
    // Another CSR for the same names (a new key) on the valid order is still orderNotReady (RFC 8555 §7.4).
    await expectAcmeProblem(await finalize(account, url, ["cp.example.com"]), 403, "orderNotReady");
    const issued = await env.DB!.prepare("SELECT COUNT(*) AS n FROM certificates WHERE acme_account_id = ?").bind(account.url.split("/").pop()).first<{ n: number }>();
    expect(issued!.n).toBe(1);
  });

  it("issues one certificate when the same CSR's finalize races itself; both get the valid order", async () => {
    const account = await register();
    const { url } = await newOrder(account, dns("cp.example.com"));
    const { csr } = await csrFor(["cp.example.com"]);
    const results = await Promise.all([0, 1].map(() => acmePost(account.key, `${pathOf(url)}/finalize`, { csr }, { kid: account.url })));
    const bodies = (await Promise.all(results.map((r) => r.json()))) as { status: string; certificate: string }[];
    expect(results.map((r) => r.status)).toEqual([200, 200]);
    expect(bodies[0]).toMatchObject({ status: "valid" });
    expect(bodies[1]!.certificate).toBe(bodies[0]!.certificate);
    const issued = await env.DB!.prepare("SELECT COUNT(*) AS n FROM certificates WHERE acme_account_id = ?").bind(account.url.split("/").pop()).first<{ n: number }>();
    expect(issued!.n).toBe(1);
  });

  it("never lets a replayed finalize or newOrder change anything: the nonce is spent in the same transaction", async () => {
    const account = await register();
    const { url } = await newOrder(account, dns("cp.example.com"));
    const nonce = await freshNonce();
    const orderBody = await signJws(account.key, "/acme/new-order", { identifiers: dns("cp.example.com") }, { kid: account.url, nonce });
    const placed = await postJws("/acme/new-order", orderBody);
    expect(placed.status, await placed.clone().text()).toBe(201);
    await expectAcmeProblem(await postJws("/acme/new-order", orderBody), 400, "badNonce");
    const orders = await env.DB!.prepare("SELECT COUNT(*) AS n FROM acme_orders WHERE account_id = ?").bind(account.url.split("/").pop()).first<{ n: number }>();
    expect(orders!.n).toBe(2);
    // A finalize whose nonce was already spent (by a refused request) issues nothing, and the order stays ready.
    const { csr } = await csrFor(["cp.example.com"]);
    const spent = await freshNonce();
    await expectAcmeProblem(await postJws(`${pathOf(url)}/finalize`, await signJws(account.key, `${pathOf(url)}/finalize`, { csr: "not-a-csr!" }, { kid: account.url, nonce: spent })), 400, "badCSR");
    await expectAcmeProblem(await postJws(`${pathOf(url)}/finalize`, await signJws(account.key, `${pathOf(url)}/finalize`, { csr }, { kid: account.url, nonce: spent })), 400, "badNonce");
    const order = await env.DB!.prepare("SELECT status FROM acme_orders WHERE id = ?").bind(url.split("/").pop()).first<{ status: string }>();
    expect(order!.status).toBe("ready");
    const issued = await env.DB!.prepare("SELECT COUNT(*) AS n FROM certificates WHERE acme_account_id = ?").bind(account.url.split("/").pop()).first<{ n: number }>();
    expect(issued!.n).toBe(0);
  });

  it("answers from storage when this isolate's copy of the order is stale: an authorization deactivated elsewhere, an order invalid elsewhere", async () => {
    const account = await register();
    const accountId = account.url.split("/").pop()!;
    const first = await newOrder(account, dns("cp.example.com"));
    await env.DB!.prepare("UPDATE acme_authorizations SET status = 'deactivated' WHERE order_id = ?").bind(first.url.split("/").pop()).run();
    await expectAcmeProblem(await finalize(account, first.url, ["cp.example.com"]), 403, "orderNotReady");
    const second = await newOrder(account, dns("cp.example.com"));
    await env.DB!.prepare("UPDATE acme_orders SET status = 'invalid', error = 'elsewhere' WHERE id = ?").bind(second.url.split("/").pop()).run();
    await expectAcmeProblem(await finalize(account, second.url, ["cp.example.com"]), 403, "orderNotReady");
    const issued = await env.DB!.prepare("SELECT COUNT(*) AS n FROM certificates WHERE acme_account_id = ?").bind(accountId).first<{ n: number }>();
    expect(issued!.n).toBe(0);
    // A fresh order still finalizes from the copy.
    const third = await newOrder(account, dns("cp.example.com"));
    expect((await finalize(account, third.url, ["cp.example.com"])).status).toBe(200);
  });

  it("issues exactly one certificate when two finalizes race", async () => {
    const account = await register();
    const { url } = await newOrder(account, dns("cp.example.com"));
    const results = await Promise.all([finalize(account, url, ["cp.example.com"]), finalize(account, url, ["cp.example.com"])]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 403]);
    await expectAcmeProblem(results.find((r) => r.status === 403)!, 403, "orderNotReady");
    const issued = await env.DB!.prepare("SELECT COUNT(*) AS n FROM certificates WHERE acme_account_id = ?").bind(account.url.split("/").pop()).first<{ n: number }>();
    expect(issued!.n).toBe(1);
  });

  it("refuses a CSR whose names differ from the order, and a CN that is not one of them", async () => {
    const account = await register();
    const { url } = await newOrder(account, dns("cp.example.com", "cp2.internal.example.com"));
    expect((await expectAcmeProblem(await finalize(account, url, ["cp.example.com"]), 400, "badCSR")).detail).toMatch(/missing: cp2\.internal\.example\.com/);
    expect((await expectAcmeProblem(await finalize(account, url, ["cp.example.com", "cp2.internal.example.com", "x.internal.example.com"]), 400, "badCSR")).detail).toMatch(/not in the order/);
    await expectAcmeProblem(await finalize(account, url, ["cp.example.com", "cp2.internal.example.com"], { cn: "other.example.com" }), 400, "badCSR");
    // Case and order do not matter; the order is still ready after the refusals.
    expect((await finalize(account, url, ["CP2.internal.example.com", "cp.example.com"], { cn: "CP.example.com" })).status).toBe(200);
  });

  it("refuses the account key as the certificate key", async () => {
    const account = await register();
    const { url } = await newOrder(account, dns("cp.example.com"));
    const p = await expectAcmeProblem(await finalize(account, url, ["cp.example.com"], { keys: { privateKey: account.key.privateKey, publicKey: account.key.publicKey } }), 400, "badCSR");
    expect(p.detail).toMatch(/account key/);
  });
});

describe("the account's principal, re-checked on every request", () => {
  const zoneEntry = () => (JSON.parse(env.API_TOKENS!) as { name: string; sha256: string }[]).find((e) => e.name === "zone-a-pipeline")!;

  it("refuses accounts of a token removed from API_TOKENS", async () => {
    const account = await register();
    const without = JSON.stringify((JSON.parse(env.API_TOKENS!) as { name: string }[]).filter((e) => e.name !== "zone-a-pipeline"));
    const p = await expectAcmeProblem(await acmePost(account.key, "/acme/new-order", { identifiers: dns("cp.example.com") }, { kid: account.url }, withEnv({ API_TOKENS: without })), 403, "unauthorized");
    expect(p.detail).toMatch(/removed or rotated/);
  });

  it("refuses accounts of a token rotated under the same name", async () => {
    const account = await register();
    const rotated = JSON.stringify((JSON.parse(env.API_TOKENS!) as { name: string; sha256: string }[]).map((e) => (e.name === "zone-a-pipeline" ? { ...e, sha256: "0".repeat(64) } : e)));
    expect(zoneEntry().sha256).not.toBe("0".repeat(64));
    await expectAcmeProblem(await acmePost(account.key, pathOf(account.url), "", { kid: account.url }, withEnv({ API_TOKENS: rotated })), 403, "unauthorized");
  });

  it("refuses when the token loses the sign scope", async () => {
    const account = await register();
    const issueOnly = JSON.stringify((JSON.parse(env.API_TOKENS!) as { name: string; scopes: string[] }[]).map((e) => (e.name === "zone-a-pipeline" ? { ...e, scopes: ["issue"] } : e)));
    expect((await expectAcmeProblem(await acmePost(account.key, pathOf(account.url), "", { kid: account.url }, withEnv({ API_TOKENS: issueOnly })), 403, "unauthorized")).detail).toMatch(/sign/);
  });

  it("answers rateLimited with Retry-After when the principal's limit is spent", async () => {
    const account = await register();
    const limited = { ...env, RATE_LIMIT_TOKEN: { limit: async () => ({ success: false }) } } as Env;
    const body = await signJws(account.key, "/acme/new-order", { identifiers: dns("cp.example.com") }, { kid: account.url });
    const res = await worker.fetch(new Request(`${BASE}/acme/new-order`, { method: "POST", body, headers: { "Content-Type": JOSE } }) as never, limited);
    const p = await expectAcmeProblem(res as unknown as Response, 429, "rateLimited");
    expect([p.status, (res as unknown as Response).headers.get("Retry-After")]).toEqual([429, "60"]);
    // Per client address on every /acme request, as on /v1.
    const flooded = { ...env, RATE_LIMIT_CLIENT: { limit: async () => ({ success: false }) } } as Env;
    const dir = await worker.fetch(new Request(`${BASE}/acme/directory`) as never, flooded);
    expect((await expectAcmeProblem(dir as unknown as Response, 429, "rateLimited")).detail).toMatch(/client address/);
  });
});

describe("OIDC-bound accounts", () => {
  let trust: InlineTrust;
  let OIDC_TRUST: string;
  beforeAll(async () => {
    trust = await inlineTrust();
    const policies = JSON.parse(trust.OIDC_TRUST) as Record<string, unknown>[];
    OIDC_TRUST = JSON.stringify(policies.map((p) => ({ ...p, scopes: ["sign"], acme: true })));
  });

  it("binds an OIDC caller with its placeholder values frozen, and refuses the account past ACME_OIDC_ACCOUNT_TTL", async () => {
    const t = withEnv({ OIDC_TRUST });
    const jwt = await trust.sign(k8sClaims("zone-b"));
    const account = await register(jwt, t);
    const ok = await newOrder(account, dns("kuma-control-plane.zone-b.svc"), {}, t);
    expect(ok.res.status).toBe(201);
    await expectAcmeProblem((await newOrder(account, dns("kuma-control-plane.zone-c.svc"), {}, t)).res, 403, "rejectedIdentifier");
    const id = account.url.split("/").pop()!;
    const row = await env.DB!.prepare("SELECT binding, expires_at FROM acme_accounts WHERE id = ?").bind(id).first<{ binding: string; expires_at: string }>();
    expect(JSON.parse(row!.binding)).toMatchObject({ kind: "oidc", policy: "zone-cp", subject: "system:serviceaccount:zone-b:kuma-control-plane", placeholders: { "/kubernetes.io/namespace": "zone-b" } });
    expect(Date.parse(row!.expires_at) - Date.now()).toBeGreaterThan(89 * 86_400 * SECOND);
    // Time passes: the binding's expiry is now behind us.
    const binding = { ...JSON.parse(row!.binding), expires_at: new Date(Date.now() - SECOND).toISOString() };
    await env.DB!.prepare("UPDATE acme_accounts SET binding = ? WHERE id = ?").bind(JSON.stringify(binding), id).run();
    expect((await expectAcmeProblem((await newOrder(account, dns("kuma-control-plane.zone-b.svc"), {}, t)).res, 403, "unauthorized")).detail).toMatch(/expired/);
  });

  it("refuses EAB credentials to a policy without \"acme\": true, and accounts once the policy drops it", async () => {
    const without = JSON.stringify((JSON.parse(OIDC_TRUST) as Record<string, unknown>[]).map((p) => ({ ...p, acme: false })));
    const jwt = await trust.sign(k8sClaims("zone-b"));
    await expectProblem(await withEnv({ OIDC_TRUST: without })("/v1/acme/eab", { method: "POST", token: jwt }), 403, "insufficient_scope");
    const account = await register(jwt, withEnv({ OIDC_TRUST }));
    await expectAcmeProblem(await acmePost(account.key, pathOf(account.url), "", { kid: account.url }, withEnv({ OIDC_TRUST: without })), 403, "unauthorized");
  });

  it("refuses an OIDC-bound account once its policy name stands for another issuer and key source", async () => {
    const account = await register(await trust.sign(k8sClaims("zone-b")), withEnv({ OIDC_TRUST }));
    const other = await clusterKey("other");
    const B = JSON.stringify([{ name: "zone-cp", issuer: "https://other.example.com", audience: "x", claims: { sub: "*" }, jwks: other.jwks, scopes: ["sign"], acme: true, allow: ["*.other.example.com"] }]);
    const refused = await expectAcmeProblem((await newOrder(account, dns("cp.other.example.com"), {}, withEnv({ OIDC_TRUST: B }))).res, 403, "unauthorized");
    expect(refused.detail).toMatch(/another issuer or other keys/);
    // Same issuer, other keys (another cluster): refused too.
    const sameIssuer = JSON.stringify((JSON.parse(OIDC_TRUST) as Record<string, unknown>[]).map((p) => ({ ...p, jwks: other.jwks })));
    await expectAcmeProblem((await newOrder(account, dns("kuma-control-plane.zone-b.svc"), {}, withEnv({ OIDC_TRUST: sameIssuer }))).res, 403, "unauthorized");
    expect((await newOrder(account, dns("kuma-control-plane.zone-b.svc"), {}, withEnv({ OIDC_TRUST }))).res.status).toBe(201);
  });

  it("refuses an OIDC-bound account whose frozen sub or placeholder values the policy's claim conditions no longer admit", async () => {
    const t = withEnv({ OIDC_TRUST });
    const account = await register(await trust.sign(k8sClaims("zone-b")), t);
    const narrowed = (claims: Record<string, string>) =>
      withEnv({ OIDC_TRUST: JSON.stringify((JSON.parse(OIDC_TRUST) as Record<string, unknown>[]).map((p) => ({ ...p, claims: { ...(p["claims"] as object), ...claims } }))) });
    const bySub = await expectAcmeProblem((await newOrder(account, dns("kuma-control-plane.zone-b.svc"), {}, narrowed({ sub: "system:serviceaccount:zone-a:*" }))).res, 403, "unauthorized");
    expect(bySub.detail).toMatch(/"sub"/);
    await expectAcmeProblem((await newOrder(account, dns("kuma-control-plane.zone-b.svc"), {}, narrowed({ "/kubernetes.io/namespace": "zone-a" }))).res, 403, "unauthorized");
    expect((await newOrder(account, dns("kuma-control-plane.zone-b.svc"), {}, narrowed({ "/kubernetes.io/namespace": "zone-*" }))).res.status).toBe(201);
  });

  it("refuses an OIDC binding recorded without the policy's issuer and key source", async () => {
    const t = withEnv({ OIDC_TRUST });
    const account = await register(await trust.sign(k8sClaims("zone-b")), t);
    const id = account.url.split("/").pop()!;
    const row = await env.DB!.prepare("SELECT binding FROM acme_accounts WHERE id = ?").bind(id).first<{ binding: string }>();
    const { issuer: _issuer, key_source: _keySource, ...legacy } = JSON.parse(row!.binding) as Record<string, unknown>;
    await env.DB!.prepare("UPDATE acme_accounts SET binding = ? WHERE id = ?").bind(JSON.stringify(legacy), id).run();
    await expectAcmeProblem((await newOrder(account, dns("kuma-control-plane.zone-b.svc"), {}, t)).res, 403, "unauthorized");
  });
});

describe("revokeCert (RFC 8555 §7.6)", () => {
  it("revokes by the issuing account with a reason; again is alreadyRevoked; the CRL lists it", async () => {
    const account = await register();
    const { chain, certUrl } = await issue(account, ["cp.example.com"]);
    const certificate = derOf(chain);
    await expectAcmeProblem(await acmePost(account.key, "/acme/revoke-cert", { certificate, reason: 7 }, { kid: account.url }), 400, "badRevocationReason");
    expect((await acmePost(account.key, "/acme/revoke-cert", { certificate, reason: 1 }, { kid: account.url })).status).toBe(200);
    await expectAcmeProblem(await acmePost(account.key, "/acme/revoke-cert", { certificate }, { kid: account.url }), 400, "alreadyRevoked");
    const record = (await (await call(`/v1/certificates/${certUrl.split("/").pop()}`, { token: tokens.admin })).json()) as { status: string; revocation_reason: string };
    expect(record).toMatchObject({ status: "revoked", revocation_reason: "keyCompromise" });
  });

  it("refuses another account without the revoke scope; allows one whose principal has it and covers the names", async () => {
    const owner = await register();
    const stranger = await register();
    const admin = await register(tokens.admin);
    const { chain } = await issue(owner, ["cp.example.com"]);
    const certificate = derOf(chain);
    await expectAcmeProblem(await acmePost(stranger.key, "/acme/revoke-cert", { certificate }, { kid: stranger.url }), 403, "unauthorized");
    expect((await acmePost(admin.key, "/acme/revoke-cert", { certificate }, { kid: admin.url })).status).toBe(200);
  });

  it("revokes with the certificate's own key (jwk), and refuses another key", async () => {
    const account = await register();
    const { url } = await newOrder(account, dns("cp.example.com"));
    const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const fin = (await (await finalize(account, url, ["cp.example.com"], { keys })).json()) as { certificate: string };
    const certificate = derOf(await (await acmePost(account.key, pathOf(fin.certificate), "", { kid: account.url })).text());
    const stranger = await accountKey();
    await expectAcmeProblem(await acmePost(stranger, "/acme/revoke-cert", { certificate }), 403, "unauthorized");
    const full = await crypto.subtle.exportKey("jwk", keys.publicKey) as JsonWebKey;
    const certKey = { alg: "ES256" as const, privateKey: keys.privateKey, publicKey: keys.publicKey, jwk: { kty: "EC", crv: "P-256", x: full.x!, y: full.y! } };
    expect((await acmePost(certKey, "/acme/revoke-cert", { certificate, reason: 4 })).status).toBe(200);
  });

  it("refuses a certificate this server did not issue", async () => {
    const account = await register();
    const { chain } = await issue(account, ["cp.example.com"]);
    const intermediate = derOf(chain.split("-----END CERTIFICATE-----")[1]! + "-----END CERTIFICATE-----");
    await expectAcmeProblem(await acmePost(account.key, "/acme/revoke-cert", { certificate: intermediate }, { kid: account.url }), 404, "malformed");
  });
});

describe("housekeeping", () => {
  it("deletes spent nonces, unused EAB kids and unfinished orders past their expiry; keeps valid orders and spent kids", async () => {
    const past = new Date(Date.now() - SECOND).toISOString();
    const account = await register();
    const unused = await createEab();
    const { url: deadUrl } = await newOrder(account, dns("cp.example.com"));
    const { orderUrl: validUrl } = await issue(account, ["cp.example.com"]);
    const dead = deadUrl.split("/").pop()!;
    const valid = validUrl.split("/").pop()!;
    await env.DB!.prepare("INSERT INTO acme_nonces (nonce, expires_at) VALUES ('old-nonce', ?)").bind(past).run();
    await env.DB!.batch([
      env.DB!.prepare("UPDATE acme_eab SET expires_at = ? WHERE kid IN (?, ?)").bind(past, unused.kid, account.eab.kid),
      env.DB!.prepare("UPDATE acme_orders SET expires_at = ? WHERE id IN (?, ?)").bind(past, dead, valid),
    ]);
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "17 3 * * *" }), env);
    const count = async (sql: string, ...args: string[]) => (await env.DB!.prepare(sql).bind(...args).first<{ n: number }>())!.n;
    expect(await count("SELECT COUNT(*) AS n FROM acme_nonces WHERE nonce = 'old-nonce'")).toBe(0);
    expect(await count("SELECT COUNT(*) AS n FROM acme_eab WHERE kid = ?", unused.kid)).toBe(0);
    expect(await count("SELECT COUNT(*) AS n FROM acme_eab WHERE kid = ?", account.eab.kid)).toBe(1);
    expect(await count("SELECT COUNT(*) AS n FROM acme_orders WHERE id = ?", dead)).toBe(0);
    expect(await count("SELECT COUNT(*) AS n FROM acme_authorizations WHERE order_id = ?", dead)).toBe(0);
    expect(await count("SELECT COUNT(*) AS n FROM acme_orders WHERE id = ?", valid)).toBe(1);
  });
});
