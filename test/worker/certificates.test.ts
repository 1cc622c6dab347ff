/**
 * POST /v1/certificates end to end inside workerd: the profile as parsed
 * back, the bundle layout, every format, and every bad-input class.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { decodePem } from "../../src/pki/pem.ts";
import { x509 } from "../../src/pki/x509.ts";
import { call, expectProblem, tokens, type IssuedJson } from "./helpers.ts";

function pemCerts(pem: string) {
  const blocks = decodePem(pem);
  if (!blocks.ok) throw new Error("bad PEM");
  return blocks.value.map((b) => new x509.X509Certificate(b.der));
}

async function issue(body: unknown, token = tokens.admin, query = ""): Promise<Response> {
  return call(`/v1/certificates${query}`, { token, body });
}

describe("POST /v1/certificates", () => {
  it("accepts a default request and returns the Kuma bundle (RFC 5280 §4.1 profile)", async () => {
    const started = Date.now();
    const res = await issue({ hostnames: ["CP.Example.com.", "10.0.0.5", "2001:DB8:0:0::1"] });
    expect(res.status).toBe(201);
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const body = (await res.json()) as IssuedJson;
    expect(body.hostnames).toEqual(["cp.example.com", "10.0.0.5", "2001:db8::1"]);
    expect(body.key_algorithm).toBe("ecdsa-p256");
    expect(body.usage).toEqual(["server"]);
    expect(body.private_key).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);

    const [leaf, intermediate, ...rest] = pemCerts(body.chain);
    expect(rest).toHaveLength(0); // tls.crt never carries the self-signed root
    expect(intermediate!.subject).toContain("edgeca test issuing CA");
    expect(body.ca.trim()).toBe(env.TEST_ROOT_PEM.trim());
    expect(pemCerts(body.certificate)[0]!.serialNumber).toBe(leaf!.serialNumber);

    expect(leaf!.serialNumber).toBe(body.serial_number);
    expect(body.serial_number).toMatch(/^[0-9a-f]{2,40}$/);
    expect(leaf!.subject).toBe("CN=cp.example.com");
    expect(leaf!.issuer).toBe(intermediate!.subject);
    expect(await leaf!.verify({ publicKey: intermediate!.publicKey, signatureOnly: true })).toBe(true);
    // notBefore is backdated 5 minutes; default ttl 90 days from now.
    expect(started - leaf!.notBefore.getTime()).toBeGreaterThanOrEqual(5 * 60_000 - 1000);
    expect(started - leaf!.notBefore.getTime()).toBeLessThan(5 * 60_000 + 5000);
    expect(Math.round((leaf!.notAfter.getTime() - started) / 86_400_000)).toBe(90);

    const bc = leaf!.getExtension(x509.BasicConstraintsExtension)!;
    expect([bc.ca, bc.critical]).toEqual([false, true]);
    const ku = leaf!.getExtension(x509.KeyUsagesExtension)!;
    expect([ku.usages, ku.critical]).toEqual([x509.KeyUsageFlags.digitalSignature, true]);
    expect(leaf!.getExtension(x509.ExtendedKeyUsageExtension)!.usages).toEqual([x509.ExtendedKeyUsage.serverAuth]);
    const san = leaf!.getExtension(x509.SubjectAlternativeNameExtension)!;
    expect(san.critical).toBe(false);
    expect(san.names.toJSON()).toEqual([
      { type: "dns", value: "cp.example.com" },
      { type: "ip", value: "10.0.0.5" },
      { type: "ip", value: "2001:db8::1" },
    ]);
    const aki = leaf!.getExtension(x509.AuthorityKeyIdentifierExtension)!;
    expect(aki.keyId).toBe(intermediate!.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId);
    expect(leaf!.getExtension(x509.SubjectKeyIdentifierExtension)).not.toBeNull();
  });

  it.each([
    ["ecdsa-p384", "ECDSA", "P-384"],
    ["rsa-2048", "RSASSA-PKCS1-v1_5", undefined],
    ["ed25519", "Ed25519", undefined],
  ])("accepts key %s and returns a matching PKCS#8 key", async (key, name, curve) => {
    const res = await issue({ hostnames: ["kds.example.com"], key });
    expect(res.status).toBe(201);
    const body = (await res.json()) as IssuedJson;
    expect(body.key_algorithm).toBe(key);
    const leaf = pemCerts(body.certificate)[0]!;
    const alg = leaf.publicKey.algorithm as { name: string; namedCurve?: string };
    expect(alg.name).toBe(name);
    if (curve) expect(alg.namedCurve).toBe(curve);
    const ku = leaf.getExtension(x509.KeyUsagesExtension)!;
    // RSA keys also get keyEncipherment (TLS 1.2 RSA key transport).
    const expected = key.startsWith("rsa") ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment : x509.KeyUsageFlags.digitalSignature;
    expect(ku.usages).toBe(expected);
    // The private key signs something the certificate's public key verifies.
    const pkcs8 = decodePem(body.private_key!);
    if (!pkcs8.ok) throw new Error("bad key PEM");
    const params = key.startsWith("ecdsa") ? { name: "ECDSA", namedCurve: curve } : key.startsWith("rsa") ? { name, hash: "SHA-256" } : { name };
    const priv = await crypto.subtle.importKey("pkcs8", pkcs8.value[0]!.der, params as never, false, ["sign"]);
    const sigAlg = key.startsWith("ecdsa") ? { name: "ECDSA", hash: "SHA-384" } : { name };
    const data = new TextEncoder().encode("proof");
    const sig = await crypto.subtle.sign(sigAlg, priv, data);
    const pub = await leaf.publicKey.export(params as never, ["verify"]);
    expect(await crypto.subtle.verify(sigAlg, pub, sig, data)).toBe(true);
  });

  it("accepts client and dual usage, wildcards, and a long first name with an empty subject and critical SAN (RFC 5280 §4.2.1.6)", async () => {
    const long = `${"a".repeat(60)}.example.com`;
    const res = await issue({ hostnames: [long, "*.mesh.example.com"], usage: ["client", "server"] });
    expect(res.status).toBe(201);
    const body = (await res.json()) as IssuedJson;
    expect(body.usage).toEqual(["server", "client"]);
    const leaf = pemCerts(body.certificate)[0]!;
    expect(leaf.subject).toBe("");
    expect(leaf.getExtension(x509.SubjectAlternativeNameExtension)!.critical).toBe(true);
    expect(leaf.getExtension(x509.ExtendedKeyUsageExtension)!.usages).toEqual([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]);

    const client = (await (await issue({ hostnames: ["zone-a.example.com", "ops.example.com"], usage: "client", common_name: "OPS.example.com" })).json()) as IssuedJson;
    const cert = pemCerts(client.certificate)[0]!;
    expect(cert.subject).toBe("CN=ops.example.com");
    expect(cert.getExtension(x509.ExtendedKeyUsageExtension)!.usages).toEqual([x509.ExtendedKeyUsage.clientAuth]);
  });

  it("accepts internationalized names as A-labels and drops duplicates", async () => {
    const res = await issue({ hostnames: ["Bücher.example.com", "xn--bcher-kva.example.com", "10.0.0.1", "10.0.0.1"] });
    const body = (await res.json()) as IssuedJson;
    expect(body.hostnames).toEqual(["xn--bcher-kva.example.com", "10.0.0.1"]);
  });

  it("gives distinct positive serials", async () => {
    const serials = await Promise.all(Array.from({ length: 10 }, async () => ((await (await issue({ hostnames: ["s.example.com"] })).json()) as IssuedJson).serial_number));
    expect(new Set(serials).size).toBe(10);
  });

  it("honours ttl, the service maximum and a token's own maximum", async () => {
    const short = (await (await issue({ hostnames: ["t.example.com"], ttl: "36h" })).json()) as IssuedJson;
    expect(new Date(short.not_after).getTime() - new Date(short.not_before).getTime()).toBe(36 * 3600_000 + 5 * 60_000);
    const p = await expectProblem(await issue({ hostnames: ["t.example.com"], ttl: "398d" }), 400, "ttl_too_long");
    expect(p["max_ttl"]).toBe("397d");
    await expectProblem(await issue({ hostnames: ["t.example.com"], ttl: "8d" }, tokens.shortTtl), 400, "ttl_too_long");
    const capped = (await (await issue({ hostnames: ["t.example.com"] }, tokens.shortTtl)).json()) as IssuedJson;
    expect(Math.round((new Date(capped.not_after).getTime() - Date.now()) / 86_400_000)).toBe(7);
  });

  it("rejects a ttl that outlives the issuing CA, naming its expiry", async () => {
    // The test intermediate lives 5 years; the service maximum is 397 days, so raise it for this call.
    const { callWithEnv } = await import("./helpers.ts");
    const res = await callWithEnv({ MAX_TTL: "4000d" }, "/v1/certificates", { token: tokens.admin, body: { hostnames: ["t.example.com"], ttl: "3000d" } });
    const p = await expectProblem(res, 400, "ca_validity_exceeded");
    expect(p.detail).toMatch(/expires at \d{4}-/);
    expect(p["ca_not_after"]).toMatch(/^\d{4}-/);
  });
});

describe("POST /v1/certificates formats", () => {
  it("returns a tar.gz with tls.crt, tls.key (0600) and ca.crt", async () => {
    const res = await issue({ hostnames: ["cp.example.com"] }, tokens.admin, "?format=tar");
    expect(res.status).toBe(201);
    expect(res.headers.get("Content-Type")).toBe("application/gzip");
    expect(res.headers.get("Cache-Control")).toBe("no-store");
    const tar = new Uint8Array(await new Response(res.body!.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer());
    const files: Record<string, { mode: number; text: string }> = {};
    for (let off = 0; off + 512 <= tar.length; ) {
      const header = tar.subarray(off, off + 512);
      if (header.every((b) => b === 0)) break;
      const field = (a: number, n: number) => new TextDecoder().decode(header.subarray(a, a + n)).replace(/\0.*$/s, "");
      const size = parseInt(field(124, 12), 8);
      files[field(0, 100)] = { mode: parseInt(field(100, 8), 8), text: new TextDecoder().decode(tar.subarray(off + 512, off + 512 + size)) };
      expect(new TextDecoder().decode(header.subarray(257, 262))).toBe("ustar");
      off += 512 + Math.ceil(size / 512) * 512;
    }
    expect(Object.keys(files)).toEqual(["tls.crt", "tls.key", "ca.crt"]);
    expect(files["tls.key"]!.mode).toBe(0o600);
    expect(files["tls.crt"]!.mode).toBe(0o644);
    expect(pemCerts(files["tls.crt"]!.text)).toHaveLength(2);
    expect(files["ca.crt"]!.text.trim()).toBe(env.TEST_ROOT_PEM.trim());
  });

  it("negotiates tar by Accept: application/gzip", async () => {
    const res = await call("/v1/certificates", { token: tokens.admin, body: { hostnames: ["cp.example.com"] }, headers: { Accept: "application/gzip" } });
    expect(res.headers.get("Content-Type")).toBe("application/gzip");
  });

  it("returns a kubernetes.io/tls Secret named as in Kuma's Helm chart by default", async () => {
    const res = await issue({ hostnames: ["kuma-control-plane.kuma-system.svc"] }, tokens.admin, "?format=kubernetes-secret");
    expect(res.status).toBe(201);
    expect(res.headers.get("Content-Type")).toMatch(/^application\/yaml/);
    const yaml = await res.text();
    expect(yaml).toMatch(/^apiVersion: v1\nkind: Secret\nmetadata:\n {2}name: general-tls-certs\n {2}namespace: kuma-system\n/);
    expect(yaml).toContain("\ntype: kubernetes.io/tls\n");
    const data = Object.fromEntries([...yaml.matchAll(/^ {2}(tls\.crt|tls\.key|ca\.crt): (\S+)$/gm)].map((m) => [m[1], atob(m[2]!)]));
    expect(Object.keys(data).sort()).toEqual(["ca.crt", "tls.crt", "tls.key"]);
    expect(data["tls.key"]).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(data["ca.crt"]!.trim()).toBe(env.TEST_ROOT_PEM.trim());
    const named = await (await issue({ hostnames: ["cp.example.com"] }, tokens.admin, "?format=kubernetes-secret&name=api-server-tls&namespace=kong-mesh-system")).text();
    expect(named).toContain("  name: api-server-tls\n  namespace: kong-mesh-system\n");
  });

  it.each([
    ["?format=zip", "unsupported_format"],
    ["?format=kubernetes-secret&name=Bad_Name", "validation_failed"],
    ["?format=kubernetes-secret&namespace=a.b", "validation_failed"],
  ])("rejects %s with %s", async (query, code) => {
    await expectProblem(await issue({ hostnames: ["cp.example.com"] }, tokens.admin, query), 400, code);
  });
});

describe("POST /v1/certificates bad input", () => {
  it.each([
    ["malformed JSON", "{", 400, "invalid_json", undefined],
    ["an empty body", "", 400, "invalid_json", undefined],
    ["a JSON array", "[]", 400, "validation_failed", "/"],
    ["hostnames of the wrong type", JSON.stringify({ hostnames: "cp.example.com" }), 400, "validation_failed", "/hostnames"],
    ["a number among hostnames", JSON.stringify({ hostnames: [1] }), 400, "validation_failed", "/hostnames/0"],
    ["an unknown field", JSON.stringify({ hostnames: ["a.example.com"], hostname: "x" }), 400, "validation_failed", "/hostname"],
    ["no hostnames", JSON.stringify({ hostnames: [] }), 400, "validation_failed", "/hostnames"],
    ["101 hostnames", JSON.stringify({ hostnames: Array.from({ length: 101 }, (_, i) => `h${i}.example.com`) }), 400, "validation_failed", "/hostnames"],
    ["an unknown usage", JSON.stringify({ hostnames: ["a.example.com"], usage: ["email"] }), 400, "validation_failed", "/usage"],
    ["an unknown key type", JSON.stringify({ hostnames: ["a.example.com"], key: "dsa-1024" }), 400, "validation_failed", "/key"],
    ["a bad duration", JSON.stringify({ hostnames: ["a.example.com"], ttl: "ninety days" }), 400, "invalid_duration", "/ttl"],
    ["a zero duration", JSON.stringify({ hostnames: ["a.example.com"], ttl: "0d" }), 400, "invalid_duration", "/ttl"],
    ["a CN that is not among a server certificate's names", JSON.stringify({ hostnames: ["a.example.com"], common_name: "b.example.com" }), 400, "invalid_common_name", "/common_name"],
    ["a client CN outside the names: an identity the token's allowed names do not bound", JSON.stringify({ hostnames: ["a.example.com"], usage: ["client"], common_name: "admin" }), 400, "invalid_common_name", "/common_name"],
    ["a CN with a lone surrogate", JSON.stringify({ hostnames: ["a.example.com"], usage: ["client"], common_name: "\ud800" }), 400, "invalid_common_name", "/common_name"],
  ])("rejects %s", async (_what, raw, status, code, pointer) => {
    const res = await call("/v1/certificates", { token: tokens.admin, rawBody: raw as string, headers: { "Content-Type": "application/json" }, method: "POST" });
    const p = await expectProblem(res, status as number, code as string);
    if (pointer) expect(p.errors?.map((e) => e.pointer)).toContain(pointer);
  });

  it.each([
    [{ hostname: ["cp.example.com"] }, "/hostname", 'unknown field "hostname"; did you mean "hostnames"?'],
    [{ hostnames: ["cp.example.com"], "common-name": "cp.example.com" }, "/common-name", 'unknown field "common-name"; did you mean "common_name"?'],
    [{ hostnames: ["cp.example.com"], usages: ["server"] }, "/usages", 'unknown field "usages"; did you mean "usage"?'],
    [{ hostnames: ["cp.example.com"], Purpose: "general" }, "/Purpose", 'unknown field "Purpose"; did you mean "purpose"?'],
    // Nothing close: no guess.
    [{ hostnames: ["cp.example.com"], validity: "90d" }, "/validity", 'unknown field "validity"'],
  ])("names the closest known field for a misspelt one: %j", async (body, pointer, detail) => {
    const p = await expectProblem(await call("/v1/certificates", { token: tokens.admin, body }), 400, "validation_failed");
    expect(p.errors).toContainEqual({ pointer, detail });
    expect(p.detail).toContain(`${pointer}: ${detail}`);
  });

  // The worker validates with zod/mini, which ships without messages: these are
  // classic zod's English texts (what the API returned before), pinned so a
  // missing locale ("Invalid input" everywhere) cannot slip through.
  it.each([
    [{ hostnames: [] }, "/hostnames", "Too small: expected array to have >=1 items"],
    [{ hostnames: "cp.example.com" }, "/hostnames", "Invalid input: expected array, received string"],
    [{ hostnames: ["a".repeat(1025)] }, "/hostnames/0", "Too big: expected string to have <=1024 characters"],
    [{ hostnames: ["cp.example.com"], ttl: 5 }, "/ttl", "Invalid input: expected string, received number"],
    [{ hostnames: ["cp.example.com"], usage: ["server", "client", "server"] }, "/usage", "Invalid input"],
    [{ hostnames: ["cp.example.com"], key: "dsa-1024" }, "/key", /^Invalid option: expected one of "ecdsa-p256"\|/],
  ])("keeps zod's English message for %j", async (body, pointer, detail) => {
    const p = await expectProblem(await call("/v1/certificates", { token: tokens.admin, body }), 400, "validation_failed");
    expect(p.errors).toHaveLength(1);
    expect(p.errors![0]!.pointer).toBe(pointer);
    if (typeof detail === "string") expect(p.errors![0]!.detail).toBe(detail);
    else expect(p.errors![0]!.detail).toMatch(detail);
  });

  it("suggests on the other request bodies too (verify)", async () => {
    const p = await expectProblem(await call("/v1/verify", { token: tokens.admin, body: { chains: "x" } }), 400, "validation_failed");
    expect(p.errors?.find((e) => e.pointer === "/chains")?.detail).toMatch(/^unknown field "chains"; did you mean "chain"\?$/);
  });

  it.each([
    ["*.com", "wildcard_too_broad"],
    ["f*o.example.com", "wildcard"],
    ["*.*.example.com", "wildcard"],
    ["a..example.com", "empty label"],
    ["-a.example.com", "hyphen"],
    ["a_b.example.com", "letters, digits and hyphens"],
    [`${"a".repeat(64)}.example.com`, "63"],
    ["256.1.1.1", "malformed"],
    ["1.2.3", "malformed"],
    ["fe80::1%eth0", "malformed"],
  ])("rejects the name %s, naming it", async (name, reason) => {
    const p = await expectProblem(await issue({ hostnames: ["ok.example.com", name] }), 400, "invalid_hostname");
    expect(p.detail).toContain(JSON.stringify(name));
    expect(p.errors![0]!.pointer).toBe("/hostnames/1");
    expect(p.errors![0]!.detail.toLowerCase()).toContain(reason === "wildcard_too_broad" ? "two labels" : reason.toLowerCase());
  });

  it("rejects a body over 64 KiB with 413", async () => {
    const big = JSON.stringify({ hostnames: ["a.example.com"], common_name: "x".repeat(70_000) });
    await expectProblem(await call("/v1/certificates", { token: tokens.admin, rawBody: big, method: "POST" }), 413, "payload_too_large");
  });

  it("rejects other methods with 405 and an Allow header", async () => {
    const res = await call("/v1/certificates", { method: "PUT", token: tokens.admin });
    await expectProblem(res, 405, "method_not_allowed");
    expect(res.headers.get("Allow")).toBe("GET, HEAD, POST");
  });

  it("answers unknown routes with 404 problem+json", async () => {
    await expectProblem(await call("/v2/anything"), 404, "not_found");
  });
});

describe("authentication and name policy", () => {
  it("rejects a request without a token with 401 and WWW-Authenticate (RFC 6750 §3)", async () => {
    const res = await issue({ hostnames: ["cp.example.com"] }, "");
    await expectProblem(res, 401, "unauthorized");
    expect(res.headers.get("WWW-Authenticate")).toBe('Bearer realm="edgeca"');
  });

  it("rejects an unknown token with 401 invalid_token", async () => {
    const res = await issue({ hostnames: ["cp.example.com"] }, "edgeca_not-a-real-token");
    await expectProblem(res, 401, "unauthorized");
    expect(res.headers.get("WWW-Authenticate")).toContain('error="invalid_token"');
  });

  it("rejects a token without the issue scope with 403 insufficient_scope", async () => {
    const res = await issue({ hostnames: ["cp.example.com"] }, tokens.reader);
    await expectProblem(res, 403, "insufficient_scope");
    expect(res.headers.get("WWW-Authenticate")).toContain('scope="issue"');
  });

  it.each([
    [["a.zone-a.mesh.example.com"], true],
    [["*.zone-a.mesh.example.com"], true],
    [["cp.example.com", "10.1.2.3", "fd00::5"], true],
    [["deep.er.internal.example.com", "*.x.internal.example.com"], true],
    [["a.b.zone-a.mesh.example.com"], false],
    [["zone-a.mesh.example.com"], false],
    [["internal.example.com"], false],
    [["11.0.0.1"], false],
    [["fe00::1"], false],
  ])("applies the token's allowed names to %j (allowed: %s)", async (hostnames, allowed) => {
    const res = await issue({ hostnames }, tokens.zoneA);
    if (allowed) expect(res.status).toBe(201);
    else await expectProblem(res, 403, "name_not_allowed");
  });

  it("judges an IPv4-mapped IPv6 address as the IPv4 address it is (RFC 4291 §2.5.5.2)", async () => {
    await expectProblem(await issue({ hostnames: ["::ffff:8.8.8.8"] }, tokens.zoneA), 403, "name_not_allowed");
    const ok = (await (await issue({ hostnames: ["::ffff:10.1.2.3"] }, tokens.zoneA)).json()) as IssuedJson;
    expect(ok.hostnames).toEqual(["10.1.2.3"]);
  });

  it("refuses the whole request and names every offending name", async () => {
    const p = await expectProblem(await issue({ hostnames: ["cp.example.com", "evil.example.com", "192.168.1.1"] }, tokens.zoneA), 403, "name_not_allowed");
    expect(p["names"]).toEqual(["evil.example.com", "192.168.1.1"]);
    expect(p.detail).toContain("evil.example.com");
  });
});
