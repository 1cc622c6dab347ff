/**
 * A CA rotation end to end against the running service: the worker is
 * restarted with each phase's secrets on the same D1 state (publish → switch
 * → retire, then an intermediate-only rotation under the new root), and every
 * phase's bundles are checked the way relying parties use them: node:tls and
 * openssl s_client handshakes trusting only the bundle a client holds,
 * `openssl verify`, `openssl crl -CAfile`. The order matters, and this shows
 * why: a client that still trusts only the old root refuses the new leaves.
 * The runbook of docs/kuma.md ("Rotating the CA") runs here too, each recipe
 * in its phase, in one directory, as an operator would.
 */
import { X509Certificate } from "node:crypto";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createIntermediateCa, createRootCa, type CaKeyAndCertificate } from "../../src/pki/ca-certificate.ts";
import type { CaStatusReport } from "../../src/pki/ca-status.ts";
import { issue, makeTempDir, openssl, opensslOk, opensslVerify, post, sClient, splitPem, startTlsServer, tlsHandshake, type Issued } from "../helpers/interop.ts";
import { startRunningWorker, type RunningWorker } from "../helpers/running-worker.ts";
import { createTestAuthority, type TestAuthority } from "../helpers/test-authority.ts";
import { cliEnv, edgeca, makeToolDir, REPO, sh } from "./cli-harness.ts";
import { FAKE_HELM, FAKE_KUBECTL, FAKE_KUMACTL, recipes, ROTATION_RECIPES } from "./recipe-harness.ts";

const DAY = 86_400_000;
const PUBLIC_URL = "https://ca.mesh.example.com";
const NAME = "cp.mesh.example.com";
const temp = makeTempDir("edgeca-rotation-");
const persistDir = join(temp.dir, "state");

let authority: TestAuthority;
let rootA: CaKeyAndCertificate;
let intA: CaKeyAndCertificate;
let rootB: CaKeyAndCertificate;
let intB: CaKeyAndCertificate;
let intB2: CaKeyAndCertificate;
let worker: RunningWorker | undefined;

const statMode = (path: string) => statSync(path).mode & 0o777;
const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256.replace(/:/g, "").toLowerCase();

/** Stop the worker and start it again with this phase's secrets, on the same ledger. */
async function phase(secrets: Record<string, string | undefined>): Promise<RunningWorker> {
  await worker?.stop();
  worker = undefined;
  worker = await startRunningWorker({ authority, persistDir, bindings: { PUBLIC_URL, CA_TRUST: undefined, CA_PREVIOUS_CERT: undefined, CA_PREVIOUS_KEY: undefined, ...secrets } });
  return worker;
}

const issuing = (ca: CaKeyAndCertificate, root: CaKeyAndCertificate) => ({ CA_CERT: ca.certificatePem + root.certificatePem, CA_KEY: ca.privateKeyPem });
const previous = (ca: CaKeyAndCertificate, root: CaKeyAndCertificate) => ({ CA_PREVIOUS_CERT: ca.certificatePem + root.certificatePem, CA_PREVIOUS_KEY: ca.privateKeyPem });

function file(name: string, content: string): string {
  const path = join(temp.dir, name);
  writeFileSync(path, content);
  return path;
}

/** Serve `leaf` (tls.crt + tls.key) on loopback and connect trusting only `bundle`, with node:tls and (when it should work) openssl s_client. */
async function handshake(leaf: Issued, bundle: string): Promise<boolean> {
  const server = await startTlsServer({ cert: leaf.chain, key: leaf.private_key! });
  try {
    const hs = await tlsHandshake({ port: server.port, ca: bundle, servername: NAME });
    const s = await sClient({ port: server.port, ca: file(`bundle-${Math.random().toString(36).slice(2)}.crt`, bundle), servername: NAME });
    const opensslOkay = /Verify return code: 0 \(ok\)/.test(s.stdout);
    // Node and OpenSSL must agree, whichever way it goes.
    expect(opensslOkay, `s_client: ${s.stdout.match(/Verify return code: .*/)?.[0]}`).toBe(hs.authorized);
    return hs.authorized;
  } finally {
    await server.close();
  }
}

async function get(path: string, token?: string): Promise<Response> {
  return fetch(`${worker!.url}${path}`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
}

async function status(at?: string): Promise<CaStatusReport> {
  const res = await get(`/v1/ca/status${at ? `?at=${at}` : ""}`, authority.tokens.reader);
  expect(res.status).toBe(200);
  return (await res.json()) as CaStatusReport;
}

async function served(): Promise<string[]> {
  return splitPem(await (await get("/v1/ca")).text()).map(fingerprint);
}

async function revoke(leaf: Issued): Promise<void> {
  const res = await post(worker!, `/v1/certificates/${leaf.serial_number}/revoke`, { reason: "superseded" });
  expect(res.status).toBe(200);
}

const runbook = join(temp.dir, "runbook");
const kubeState = join(runbook, ".kube-state");
let toolDir: string;

/** Runs a docs/kuma.md rotation recipe in the runbook directory against the current phase's service. */
async function recipe(id: string): Promise<string> {
  const script = recipes(readFileSync(join(REPO, "docs", "kuma.md"), "utf8")).get(id);
  expect(script, `docs/kuma.md has a recipe=${id} block`).toBeDefined();
  const env = cliEnv(worker!.url, authority.tokens.admin, {
    EDGECA_CA_FINGERPRINT: fingerprint(rootA.certificatePem),
    EDGECA_NEXT_CA_FINGERPRINT: fingerprint(rootB.certificatePem),
    KUBE_STATE: kubeState,
    PATH: `${toolDir}:${process.env.PATH}`,
  });
  const r = await sh(script!, { env, cwd: runbook });
  expect(r.status, `recipe ${id} failed:\n${r.stderr}`).toBe(0);
  return r.stdout;
}

const runbookFile = (...path: string[]) => readFileSync(join(runbook, ...path), "utf8");

/** The --set values of the last helm call, and the last kumactl call's arguments. */
function lastCall(tool: "helm" | "kumactl"): string[] {
  return JSON.parse(readFileSync(join(kubeState, `${tool}.log`), "utf8").trim().split("\n").pop()!) as string[];
}

function caBundleSet(): string {
  const args = lastCall("helm");
  const set = args.find((a) => a.startsWith("controlPlane.tls.general.caBundle="))!;
  return Buffer.from(set.slice(set.indexOf("=") + 1), "base64").toString("utf8");
}

/** Revokes every active certificate `ca` issued (what an operator does once their successors are deployed). */
async function revokeAllOf(ca: CaKeyAndCertificate): Promise<void> {
  const active = (await (await get("/v1/certificates?status=active&limit=50", authority.tokens.reader)).json()) as { certificates: { serial_number: string; issuer_fingerprint: string }[] };
  for (const c of active.certificates.filter((c) => c.issuer_fingerprint === fingerprint(ca.certificatePem))) {
    expect((await post(worker!, `/v1/certificates/${c.serial_number}/revoke`, { reason: "superseded" })).status).toBe(200);
  }
}

const checkRetire = (at?: string) => edgeca(["ca", "rotate", "check", "--phase", "retire", ...(at ? ["--at", at] : [])], { env: cliEnv(worker!.url, authority.tokens.reader) });

beforeAll(async () => {
  authority = await createTestAuthority();
  const now = Date.now();
  const window = { keyAlgorithm: "ecdsa-p256" as const, notBefore: new Date(now - DAY), notAfter: new Date(now + 3650 * DAY) };
  const under = (root: CaKeyAndCertificate, subject: string) => createIntermediateCa({ certificate: root.certificate, privateKey: root.keys.privateKey, keyAlgorithm: "ecdsa-p256" }, { ...window, subject });
  rootA = await createRootCa({ ...window, subject: "CN=edgeca test root A" });
  intA = await under(rootA, "CN=edgeca test issuing CA A");
  rootB = await createRootCa({ ...window, subject: "CN=edgeca test root B" });
  intB = await under(rootB, "CN=edgeca test issuing CA B");
  intB2 = await under(rootB, "CN=edgeca test issuing CA B2");
  mkdirSync(kubeState, { recursive: true });
  toolDir = makeToolDir(temp.dir, { kubectl: FAKE_KUBECTL, helm: FAKE_HELM, kumactl: FAKE_KUMACTL });
});

it("the runbook's recipes are the ones this file runs", () => {
  const ids = [...recipes(readFileSync(join(REPO, "docs", "kuma.md"), "utf8")).keys()].filter((id) => id.startsWith("rotate-"));
  expect(ids).toEqual(ROTATION_RECIPES);
});

afterAll(async () => {
  await worker?.stop();
  temp.cleanup();
});

describe("CA rotation: publish → switch → retire, then an intermediate-only rotation", () => {
  let leafA1: Issued;
  let leafA2: Issued;
  let leafB: Issued;
  const publishBundle = () => rootA.certificatePem + rootB.certificatePem;

  it("before: leaves chain to A, which clients trust", async () => {
    await phase(issuing(intA, rootA));
    leafA1 = await issue(worker!, { hostnames: [NAME], ttl: "30d" });
    leafA2 = await issue(worker!, { hostnames: [NAME], ttl: "2d" });
    expect(await served()).toEqual([fingerprint(rootA.certificatePem)]);
    expect(await handshake(leafA1, rootA.certificatePem)).toBe(true);
    // The CP's certificate of recipe 1, as the runbook finds it.
    mkdirSync(join(runbook, "cp-tls"), { recursive: true });
    writeFileSync(join(runbook, "cp-tls", "tls.crt"), leafA1.chain);
    writeFileSync(join(runbook, "cp-tls", "tls.key"), leafA1.private_key!, { mode: 0o600 });
  });

  it("publish: the bundle holds A and B; a client trusting only A and one with the new bundle both accept A's leaf", async () => {
    await phase({ ...issuing(intA, rootA), CA_TRUST: publishBundle() });
    expect(await served()).toEqual([fingerprint(rootA.certificatePem), fingerprint(rootB.certificatePem)]);
    const bundle = file("publish.crt", await (await get("/v1/ca")).text());
    expect(opensslVerify({ ca: bundle, untrusted: file("intA.pem", intA.certificatePem), cert: file("leafA1.pem", leafA1.certificate), hostname: NAME }).ok).toBe(true);
    expect(await handshake(leafA1, rootA.certificatePem)).toBe(true);
    expect(await handshake(leafA1, publishBundle())).toBe(true);
    // Issuance is unchanged.
    expect(new X509Certificate((await issue(worker!, { hostnames: [NAME], ttl: "1h" })).certificate).checkIssued(new X509Certificate(intA.certificatePem))).toBe(true);
  });

  it("publish, the runbook: every channel gets the two-root bundle and the CP's current certificate verifies against it", async () => {
    const out = await recipe("rotate-publish");
    expect(out).toMatch(/^2\ncp-tls\/tls\.crt: OK\n$/m);
    const bundle = runbookFile("ca.crt");
    expect(splitPem(bundle).map(fingerprint)).toEqual([fingerprint(rootA.certificatePem), fingerprint(rootB.certificatePem)]);
    expect(runbookFile("dp-ca.crt")).toBe(bundle);
    expect(runbookFile("kds-ca.crt")).toBe(bundle);
    expect(readFileSync(join(kubeState, "kuma-system", "kds-ca-certs", "ca.crt"), "utf8")).toBe(bundle);
    expect(readFileSync(join(kubeState, "kuma-system", "general-tls-certs", "ca.crt"), "utf8")).toBe(bundle);
    expect(caBundleSet()).toBe(bundle);
    expect(lastCall("kumactl")).toEqual(expect.arrayContaining(["--ca-cert-file", "ca.crt"]));
    // A data plane restarted with the new dp-ca.crt still reaches the CP (A's leaf).
    expect(await handshake(leafA1, runbookFile("dp-ca.crt"))).toBe(true);
  });

  it("switch: new leaves chain to B; the new bundle accepts both leaves; a client trusting only A refuses B's leaf", async () => {
    await phase({ ...issuing(intB, rootB), CA_TRUST: publishBundle(), ...previous(intA, rootA) });
    leafB = await issue(worker!, { hostnames: [NAME], ttl: "30d" });
    expect(new X509Certificate(leafB.certificate).checkIssued(new X509Certificate(intB.certificatePem))).toBe(true);
    expect(await handshake(leafB, publishBundle())).toBe(true);
    expect(await handshake(leafA1, publishBundle())).toBe(true);
    // The reason for the order: a relying party that never got the published bundle breaks on B's leaves.
    expect(await handshake(leafB, rootA.certificatePem)).toBe(false);
    expect(opensslVerify({ ca: file("rootA.crt", rootA.certificatePem), untrusted: file("intB.pem", intB.certificatePem), cert: file("leafB.pem", leafB.certificate) }).ok).toBe(false);
    // Each leaf names its own issuer's CRL, so the URL outlives the switch.
    const text = opensslOk(["x509", "-noout", "-ext", "crlDistributionPoints"], leafB.certificate);
    expect(text).toContain(`URI:${PUBLIC_URL}/v1/crl?issuer=${fingerprint(intB.certificatePem)}`);
  });

  it("switch, the runbook: the CP's certificates are renewed under B and verify against the data planes' published bundle", async () => {
    const out = await recipe("rotate-switch");
    expect(out).toMatch(/^issuer=CN ?= ?edgeca test issuing CA B\ncp-tls\/tls\.crt: OK\n$/m);
    const cp = runbookFile("cp-tls", "tls.crt");
    expect(new X509Certificate(cp).checkIssued(new X509Certificate(intB.certificatePem))).toBe(true);
    const server = await startTlsServer({ cert: cp, key: runbookFile("cp-tls", "tls.key") });
    try {
      expect(await tlsHandshake({ port: server.port, ca: runbookFile("dp-ca.crt"), servername: NAME })).toMatchObject({ authorized: true });
      expect(await tlsHandshake({ port: server.port, ca: rootA.certificatePem, servername: NAME })).toMatchObject({ authorized: false });
    } finally {
      await server.close();
    }
  });

  it("switch: status says A has active certificates and is not safe to retire; check --phase retire exits 6", async () => {
    const s = await status();
    const byFp = Object.fromEntries(s.cas.map((c) => [c.sha256_fingerprint, c]));
    expect(s.previous).toBe(fingerprint(intA.certificatePem));
    // leafA1, leafA2, the 1 h leaf and the runbook's general certificate (90 days) of the publish phase, all
    // renewed since (each later certificate with the same names and usage renews the earlier: leafB and the
    // runbook's general certificate under B): counted apart, and still blocking until revoked or expired.
    const generalA = await (await get(`/v1/certificates?status=active&limit=20`, authority.tokens.reader)).json() as { certificates: { issuer_fingerprint: string; not_after: string }[] };
    const latestA = generalA.certificates.filter((c) => c.issuer_fingerprint === fingerprint(intA.certificatePem)).map((c) => c.not_after).sort().pop();
    expect(byFp[fingerprint(intA.certificatePem)]).toMatchObject({ role: "previous", active_certificates: 0, renewed_certificates: 4, safe_to_retire: false, latest_not_after: latestA });
    expect(byFp[fingerprint(intA.certificatePem)]!.reason).toMatch(/^4 active certificates chain to it, the last expiring at .* \(4 of them renewed: revoke those once their successors are deployed\)$/);
    expect(byFp[fingerprint(rootA.certificatePem)]).toMatchObject({ role: "trust_anchor", served: true, active_certificates: 0, renewed_certificates: 4, safe_to_retire: false });
    // leafB and the runbook's two renewals.
    expect(byFp[fingerprint(intB.certificatePem)]).toMatchObject({ role: "issuing", active_certificates: 3, safe_to_retire: false });
    expect(s.retire.safe).toBe(false);
    const check = await checkRetire();
    expect(check.status, check.stderr).toBe(6);
    expect(check.stderr).toMatch(/edgeca test issuing CA A: 4 active certificates chain to it/);
    const table = await edgeca(["ca", "rotate", "status"], { env: cliEnv(worker!.url, authority.tokens.reader) });
    expect(table.stdout).toMatch(/^previous\s+no\s+0\s+4\s/m);
  });

  it("switch: each issuer's CRL is signed by that issuer; verify checks revocation against A for A's leaf", async () => {
    await revoke(leafA1);
    const crlA = Buffer.from(await (await get(`/v1/crl?issuer=${fingerprint(intA.certificatePem)}`)).arrayBuffer());
    const chainA = file("chainA.pem", intA.certificatePem + rootA.certificatePem);
    const a = openssl(["crl", "-inform", "DER", "-CAfile", chainA, "-noout", "-text"], crlA);
    expect(a.stderr + a.stdout).toMatch(/verify OK/i);
    expect(a.stdout).toContain("Issuer: CN = edgeca test issuing CA A");
    const serials = [...a.stdout.matchAll(/Serial Number: ([0-9A-F]+)/g)].map((m) => m[1]!.toLowerCase().replace(/^0+/, ""));
    expect(serials).toEqual([leafA1.serial_number.replace(/^0+/, "")]);
    const crlB = Buffer.from(await (await get("/v1/crl")).arrayBuffer());
    const b = openssl(["crl", "-inform", "DER", "-CAfile", file("chainB.pem", intB.certificatePem + rootB.certificatePem), "-noout", "-text"], crlB);
    expect(b.stderr + b.stdout).toMatch(/verify OK/i);
    expect(b.stdout).not.toContain("Serial Number");

    const verify = async (leaf: Issued) => (await post(worker!, "/v1/verify", { chain: leaf.chain, hostname: NAME, usage: "server" })).json<{ valid: boolean; errors: { code: string }[] }>();
    expect((await verify(leafA1)).errors.map((e) => e.code)).toEqual(["revoked"]);
    expect(await verify(leafA2)).toMatchObject({ valid: true });
    expect(await verify(leafB)).toMatchObject({ valid: true });
  });

  it("switch: once A's leaves are revoked or expired, retiring is safe (at a later time, then now)", async () => {
    const now = await status();
    expect(now.retire.safe).toBe(false);
    // The status says until when A is needed; from then on, retiring is safe.
    const latest = now.cas.find((c) => c.role === "previous")!.latest_not_after!;
    const after = new Date(Date.parse(latest) + 1000).toISOString();
    expect((await status(new Date(Date.parse(latest) - 1000).toISOString())).retire.safe).toBe(false);
    expect((await status(after)).retire).toEqual({ safe: true, blocking: [] });
    expect((await checkRetire(after)).status).toBe(0);
    await revokeAllOf(intA);
    const s = await status();
    expect(s.retire.safe).toBe(true);
    expect(s.warnings.map((w) => w.code)).toEqual(["previous_unused"]);
    const health = (await (await get("/healthz")).json()) as { warnings: { code: string }[] };
    expect(health.warnings.map((w) => w.code)).toEqual(["previous_unused"]);
    await recipe("rotate-retire-check");
  });

  it("retire: only B is served; B's leaf works with the new bundle, A's is refused; A's CRL is gone", async () => {
    await phase({ ...issuing(intB, rootB), CA_TRUST: rootB.certificatePem });
    expect(await served()).toEqual([fingerprint(rootB.certificatePem)]);
    const bundle = await (await get("/v1/ca")).text();
    expect(await handshake(leafB, bundle)).toBe(true);
    expect(await handshake(leafA2, bundle)).toBe(false);
    expect((await get(`/v1/crl?issuer=${fingerprint(intA.certificatePem)}`)).status).toBe(404);
    expect((await status()).cas.map((c) => c.role).sort()).toEqual(["issuing", "trust_anchor"]);
    const health = (await (await get("/healthz")).json()) as { warnings: unknown[] };
    expect(health.warnings).toEqual([]);
  });

  it("retire, the runbook: every channel drops the old root; the CP's certificate verifies; no warnings", async () => {
    const out = await recipe("rotate-retire");
    expect(out).toMatch(/^1\ncp-tls\/tls\.crt: OK\ntrue\n$/m);
    const bundle = runbookFile("ca.crt");
    expect(bundle).toBe(rootB.certificatePem);
    for (const f of ["dp-ca.crt", "kds-ca.crt"]) expect(runbookFile(f)).toBe(bundle);
    expect(readFileSync(join(kubeState, "kuma-system", "kds-ca-certs", "ca.crt"), "utf8")).toBe(bundle);
    expect(caBundleSet()).toBe(bundle);
    expect(await handshake(leafB, runbookFile("dp-ca.crt"))).toBe(true);
    expect(await handshake(leafA2, runbookFile("dp-ca.crt"))).toBe(false);
  });

  it("intermediate-only: B2 under the same root needs no relying-party change; the unchanged bundle accepts B's and B2's leaves", async () => {
    const before = await (await get("/v1/ca")).text();
    await phase({ ...issuing(intB2, rootB), CA_TRUST: rootB.certificatePem, ...previous(intB, rootB) });
    expect(await (await get("/v1/ca")).text()).toBe(before);
    const leafB2 = await issue(worker!, { hostnames: [NAME], ttl: "30d" });
    expect(new X509Certificate(leafB2.certificate).checkIssued(new X509Certificate(intB2.certificatePem))).toBe(true);
    expect(await handshake(leafB2, before)).toBe(true);
    expect(await handshake(leafB, before)).toBe(true);

    const s = await status();
    const root = s.cas.find((c) => c.sha256_fingerprint === fingerprint(rootB.certificatePem))!;
    // leafB (renewed by leafB2, same name), the runbook's two certificates under B, and leafB2.
    expect(root).toMatchObject({ active_certificates: 3, renewed_certificates: 1, safe_to_retire: false, reason: "the issuing CA chains to it" });
    expect(s.cas.find((c) => c.role === "previous")).toMatchObject({ active_certificates: 2, renewed_certificates: 1, safe_to_retire: false });
    expect((await checkRetire()).status).toBe(6);
    await revokeAllOf(intB);
    expect((await checkRetire()).status).toBe(0);

    await phase({ ...issuing(intB2, rootB), CA_TRUST: rootB.certificatePem });
    expect(await handshake(leafB2, before)).toBe(true);
    expect((await status()).retire.safe).toBe(true);
  });
});

describe("edgeca ca rotate plan (offline)", () => {
  const run = (args: string[], cwd: string) => edgeca(args, { cwd, env: { ...process.env, NODE_NO_WARNINGS: "1" } });

  it("makes the next root and intermediate under .edgeca/next/ without touching the current files, and prints the three phases", async () => {
    const dir = join(temp.dir, "plan-new-root");
    mkdirSync(dir);
    expect((await run(["ca", "init", "--intermediate", "--no-dev-vars"], dir)).status).toBe(0);
    const current = ["ca-cert.pem", "ca-key.pem", "ca.crt", "root.key"].map((f) => readFileSync(join(dir, ".edgeca", f), "utf8"));
    const r = await run(["ca", "rotate", "plan"], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(["ca-cert.pem", "ca-key.pem", "ca.crt", "root.key"].map((f) => readFileSync(join(dir, ".edgeca", f), "utf8"))).toEqual(current);
    const next = (f: string) => join(dir, ".edgeca", "next", f);
    const nextRoot = readFileSync(next("root.crt"), "utf8");
    // The phases' bundles: old + new root to publish, the new root alone to retire; the new chain verifies under the new root.
    expect(splitPem(readFileSync(next("ca-trust-publish.pem"), "utf8")).map(fingerprint)).toEqual([fingerprint(readFileSync(join(dir, ".edgeca", "ca.crt"), "utf8")), fingerprint(nextRoot)]);
    expect(readFileSync(next("ca-trust-retire.pem"), "utf8")).toBe(nextRoot);
    expect(opensslVerify({ ca: next("root.crt"), cert: next("intermediate.crt"), purpose: "sslclient" }).stdout).toMatch(/OK/);
    const secrets = JSON.parse(readFileSync(next("switch.json"), "utf8")) as Record<string, string>;
    expect(Object.keys(secrets).sort()).toEqual(["CA_CERT", "CA_KEY", "CA_PREVIOUS_CERT", "CA_PREVIOUS_KEY", "CA_TRUST"]);
    expect(secrets.CA_PREVIOUS_CERT).toBe(current[0]);
    for (const f of ["switch.json", "ca-key.pem", "root.key", "intermediate.key"]) expect(statMode(next(f)), f).toBe(0o600);
    expect(r.stdout).toContain("npx wrangler secret put CA_TRUST < .edgeca/next/ca-trust-publish.pem");
    expect(r.stdout).toContain("npx wrangler secret bulk .edgeca/next/switch.json");
    expect(r.stdout).toContain("edgeca ca rotate check --phase retire");
    expect(r.stdout).toContain(`--pin sha256:${fingerprint(nextRoot)}`);
    // A second plan would overwrite the first: refused.
    expect((await run(["ca", "rotate", "plan"], dir)).status).toBe(1);
  });

  it("intermediate-only: a new intermediate under the current root, no publish step, no CA_TRUST change", async () => {
    const dir = join(temp.dir, "plan-intermediate");
    mkdirSync(dir);
    expect((await run(["ca", "init", "--intermediate", "--no-dev-vars"], dir)).status).toBe(0);
    const missing = await run(["ca", "rotate", "plan", "--intermediate-only", "--root-key", join(dir, "missing.key")], dir);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/missing\.key not found/);
    const r = await run(["ca", "rotate", "plan", "--intermediate-only", "--json"], dir);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: "intermediate-only", next_root_sha256: null });
    const edgecaDir = join(dir, ".edgeca");
    expect(opensslVerify({ ca: join(edgecaDir, "root.crt"), cert: join(edgecaDir, "next", "intermediate.crt"), purpose: "sslclient" }).stdout).toMatch(/OK/);
    expect(readFileSync(join(edgecaDir, "next", "ca-trust-retire.pem"), "utf8")).toBe(readFileSync(join(edgecaDir, "ca.crt"), "utf8"));
  });
});
