/**
 * Renewal information (issue 19, RFC 9773) inside workerd: GET /acme/renewal-info/{certID}, the same
 * window in GET /v1/certificates/{serial}, its move into the past after a revocation and for the
 * previous CA's certificates during a rotation, /v1/ca/status's awaiting_renewal, and `replaces` on
 * POST /v1/certificates and /sign with the exact predecessor marking it gives.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { formatCertId } from "../../src/pki/ari.ts";
import { fromHex } from "../../src/pki/bytes.ts";
import { createRootCa, type CaKeyAndCertificate } from "../../src/pki/ca-certificate.ts";
import type { CaStatusReport } from "../../src/pki/ca-status.ts";
import { x509 } from "../../src/pki/x509.ts";
import { call, callWithEnv, expectProblem, tokens, type IssuedJson } from "./helpers.ts";

const DAY = 86_400_000;
const HOUR = 3_600_000;
const unique = () => `a${crypto.randomUUID().slice(0, 8)}.mesh.example.com`;

interface Window {
  start: string;
  end: string;
}
interface RecordJson {
  serial_number: string;
  renewed_by: string | null;
  replaces: string | null;
  renewal_window: Window;
  not_before: string;
  not_after: string;
}

async function issue(token: string, body: Record<string, unknown>, environment?: Record<string, string | undefined>): Promise<IssuedJson> {
  const res = environment ? await callWithEnv(environment, "/v1/certificates", { token, body }) : await call("/v1/certificates", { token, body });
  if (res.status !== 201) throw new Error(`issue: ${res.status} ${await res.text()}`);
  return (await res.json()) as IssuedJson;
}

async function record(serial: string, environment?: Record<string, string | undefined>): Promise<RecordJson> {
  const res = environment ? await callWithEnv(environment, `/v1/certificates/${serial}`, { token: tokens.reader }) : await call(`/v1/certificates/${serial}`, { token: tokens.reader });
  expect(res.status).toBe(200);
  return (await res.json()) as RecordJson;
}

/** The certID as an ARI client computes it: from the leaf's own AKI and serial (RFC 9773 §4.1). */
function certIdOf(pem: string): string {
  const cert = new x509.X509Certificate(pem);
  const aki = cert.getExtension(x509.AuthorityKeyIdentifierExtension)!;
  return formatCertId(fromHex(aki.keyId!), cert.serialNumber);
}

async function renewalInfo(certId: string, environment?: Record<string, string | undefined>): Promise<Response> {
  return environment ? callWithEnv(environment, `/acme/renewal-info/${certId}`) : call(`/acme/renewal-info/${certId}`);
}

/** The window must be the last third of the certificate's lifetime. */
function expectLastThird(w: Window, pem: string) {
  const cert = new x509.X509Certificate(pem);
  const nb = cert.notBefore.getTime();
  const na = cert.notAfter.getTime();
  expect(Date.parse(w.start)).toBe(Math.floor((nb + ((na - nb) * 2) / 3) / 1000) * 1000);
  expect(Date.parse(w.end)).toBe(na);
}

/** A window wholly in the past, about start now−2h, end now−1h (RFC 9773 §4.2: end > start). */
function expectMovedToNow(w: Window) {
  const now = Date.now();
  expect(Date.parse(w.end)).toBeGreaterThan(Date.parse(w.start));
  expect(Date.parse(w.end)).toBeLessThan(now);
  expect(Math.abs(Date.parse(w.start) - (now - 2 * HOUR))).toBeLessThan(60_000);
  expect(Math.abs(Date.parse(w.end) - (now - HOUR))).toBeLessThan(60_000);
}

async function acmeProblem(res: Response, status: number): Promise<Record<string, unknown>> {
  expect(res.status).toBe(status);
  expect(res.headers.get("Content-Type")).toMatch(/^application\/problem\+json/);
  const body = (await res.json()) as Record<string, unknown>;
  expect(body.type).toBe("urn:ietf:params:acme:error:malformed");
  expect(res.headers.get("Link")).toBe('<http://edgeca.test/acme/directory>;rel="index"');
  // RFC 8555 §6.5: error responses carry a fresh nonce too.
  expect(res.headers.get("Replay-Nonce")).toMatch(/^[A-Za-z0-9_-]{20,}$/);
  return body;
}

describe("GET /acme/renewal-info/{certID} (RFC 9773 §4.2)", () => {
  it("answers the last third of the lifetime, with Retry-After and the directory link, without authentication", async () => {
    const leaf = await issue(tokens.admin, { hostnames: [`cp.${unique()}`], ttl: "30d" });
    const res = await renewalInfo(certIdOf(leaf.certificate));
    expect(res.status).toBe(200);
    expect(res.headers.get("Retry-After")).toBe("21600");
    expect(res.headers.get("Link")).toBe('<http://edgeca.test/acme/directory>;rel="index"');
    expect(res.headers.get("Replay-Nonce")).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    const body = (await res.json()) as { suggestedWindow: Window };
    expect(Object.keys(body)).toEqual(["suggestedWindow"]);
    expect(body.suggestedWindow.start).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expectLastThird(body.suggestedWindow, leaf.certificate);
    // The ledger API gives the same window.
    expect((await record(leaf.serial_number)).renewal_window).toEqual(body.suggestedWindow);
  });

  it("links the directory under PUBLIC_URL when it is set", async () => {
    const leaf = await issue(tokens.admin, { hostnames: [`cp.${unique()}`] });
    const res = await renewalInfo(certIdOf(leaf.certificate), { PUBLIC_URL: "https://ca.example.net" });
    expect(res.status).toBe(200);
    expect(res.headers.get("Link")).toBe('<https://ca.example.net/acme/directory>;rel="index"');
  });

  it("moves the window into the past once the certificate is revoked", async () => {
    const leaf = await issue(tokens.admin, { hostnames: [`cp.${unique()}`], ttl: "30d" });
    expect((await call(`/v1/certificates/${leaf.serial_number}/revoke`, { token: tokens.admin, body: { reason: "keyCompromise" } })).status).toBe(200);
    const res = await renewalInfo(certIdOf(leaf.certificate));
    expect(res.status).toBe(200);
    expect(res.headers.get("Retry-After")).toBe("21600");
    const w = ((await res.json()) as { suggestedWindow: Window }).suggestedWindow;
    expectMovedToNow(w);
    expect((await record(leaf.serial_number)).renewal_window).toEqual(w);
  });

  it("answers 404 (type malformed) for a certID naming no certificate of this service", async () => {
    const leaf = await issue(tokens.admin, { hostnames: [`cp.${unique()}`] });
    const cert = new x509.X509Certificate(leaf.certificate);
    const aki = fromHex(cert.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId!);
    // An unknown serial under our CA, and our serial under another CA's key identifier.
    await acmeProblem(await renewalInfo(formatCertId(aki, "7".repeat(32))), 404);
    await acmeProblem(await renewalInfo(formatCertId(new Uint8Array(20).fill(9), cert.serialNumber)), 404);
  });

  it.each(["junk", "aYhba4dGQEHhs3uEe6CuLN4ByNQ=.AIdlQyE", "aYhba4dGQEHhs3uEe6CuLN4ByNQ.h2VDIQ", "a.b.c"])("answers 400 malformed for the unparseable certID %s", async (id) => {
    const body = await acmeProblem(await renewalInfo(id), 400);
    expect(body.detail).toMatch(/^certID: /);
  });

  it("refuses methods other than GET with 405 and Allow, ahead of the ACME handler", async () => {
    const res = await call("/acme/renewal-info/aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE", { method: "POST", body: {} });
    expect(res.headers.get("Allow")).toBe("GET, HEAD");
    expect((await acmeProblem(res, 405)).code).toBe("method_not_allowed");
  });
});

describe("during a rotation", () => {
  let next: CaKeyAndCertificate;
  /** The switch phase: a new root issues; the test CA moved to CA_PREVIOUS_*; both roots served. */
  let switched: Record<string, string>;
  beforeAll(async () => {
    next = await createRootCa({ subject: "CN=edgeca next CA", keyAlgorithm: "ecdsa-p256", notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + 365 * DAY) });
    switched = { CA_CERT: next.certificatePem, CA_KEY: next.privateKeyPem, CA_PREVIOUS_CERT: env.CA_CERT!, CA_PREVIOUS_KEY: env.CA_KEY!, CA_TRUST: env.TEST_ROOT_PEM + next.certificatePem };
  });

  const status = async () => (await (await callWithEnv(switched, "/v1/ca/status", { token: tokens.reader })).json()) as CaStatusReport;

  it("pulls the previous CA's certificates' windows to now, counts them as awaiting renewal, and a replacement takes one off", async () => {
    const before = await status();
    const zone = unique();
    const old = await issue(tokens.admin, { hostnames: [`cp.${zone}`], ttl: "30d" });
    // Before the switch: the last third.
    expectLastThird((await record(old.serial_number)).renewal_window, old.certificate);

    const res = await renewalInfo(certIdOf(old.certificate), switched);
    expect(res.status).toBe(200);
    const w = ((await res.json()) as { suggestedWindow: Window }).suggestedWindow;
    expectMovedToNow(w);
    expect((await record(old.serial_number, switched)).renewal_window).toEqual(w);
    const during = await status();
    expect(during.awaiting_renewal).toBe(before.awaiting_renewal + 1);
    expect(during.awaiting_renewal).toBe(during.cas.find((c) => c.role === "previous")!.active_certificates);

    // The replacement, from the new CA: its own window is the last third, and the old one is no longer waiting.
    const renewed = await issue(tokens.admin, { hostnames: [`cp.${zone}`], ttl: "30d", replaces: old.serial_number }, switched);
    expectLastThird((await record(renewed.serial_number, switched)).renewal_window, renewed.certificate);
    expect((await renewalInfo(certIdOf(renewed.certificate), switched)).status).toBe(200);
    expect(await record(old.serial_number, switched)).toMatchObject({ renewed_by: renewed.serial_number });
    expect((await status()).awaiting_renewal).toBe(during.awaiting_renewal - 1);
    // Without a rotation, no previous CA: nothing is waiting.
    expect(((await (await call("/v1/ca/status", { token: tokens.reader })).json()) as CaStatusReport).awaiting_renewal).toBe(0);
  });
});

describe("replaces on POST /v1/certificates and /sign (RFC 9773 §5)", () => {
  it("marks exactly the named predecessor, not the caller's other certificates with the same names", async () => {
    const zone = unique();
    const sameNames = await issue(tokens.admin, { hostnames: [`cp.${zone}`] });
    const named = await issue(tokens.admin, { hostnames: [`cp.${zone}`, `api.${zone}`] });
    const next = await issue(tokens.admin, { hostnames: [`cp.${zone}`], replaces: named.serial_number.toUpperCase() });
    expect(await record(named.serial_number)).toMatchObject({ renewed_by: next.serial_number });
    expect(await record(next.serial_number)).toMatchObject({ replaces: named.serial_number, renewed_by: null });
    // Without replaces, `next` would have marked this one (same names, same caller); with it, it stays unrenewed.
    expect(await record(sameNames.serial_number)).toMatchObject({ renewed_by: null, replaces: null });
  });

  it("works on /sign with a CSR", async () => {
    const zone = unique();
    const old = await issue(tokens.admin, { hostnames: [`cp.${zone}`] });
    const keys = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({ name: `CN=cp.${zone}`, keys, signingAlgorithm: { name: "ECDSA", hash: "SHA-256" } });
    const res = await call("/v1/certificates/sign", { token: tokens.admin, body: { csr: csr.toString("pem"), hostnames: [`cp.${zone}`], replaces: old.serial_number } });
    expect(res.status).toBe(201);
    const signed = (await res.json()) as IssuedJson;
    expect(await record(old.serial_number)).toMatchObject({ renewed_by: signed.serial_number });
  });

  it("refuses another caller's certificate (403 replaces_forbidden)", async () => {
    const zone = unique();
    const theirs = await issue(tokens.shortTtl, { hostnames: [`cp.${zone}`] });
    const p = await expectProblem(await call("/v1/certificates", { token: tokens.admin, body: { hostnames: [`cp.${zone}`], replaces: theirs.serial_number } }), 403, "replaces_forbidden");
    expect(p.errors).toEqual([{ pointer: "/replaces", detail: "issued to another caller" }]);
    expect((await record(theirs.serial_number)).renewed_by).toBeNull();
  });

  it("refuses a certificate that shares no name with the request (422 replaces_unrelated)", async () => {
    const old = await issue(tokens.admin, { hostnames: [`cp.${unique()}`] });
    await expectProblem(await call("/v1/certificates", { token: tokens.admin, body: { hostnames: [`cp.${unique()}`], replaces: old.serial_number } }), 422, "replaces_unrelated");
  });

  it("refuses a certificate already replaced (409 already_replaced), also when two replacements race", async () => {
    const zone = unique();
    const old = await issue(tokens.admin, { hostnames: [`cp.${zone}`] });
    const first = await issue(tokens.admin, { hostnames: [`cp.${zone}`], replaces: old.serial_number });
    const p = await expectProblem(await call("/v1/certificates", { token: tokens.admin, body: { hostnames: [`cp.${zone}`], replaces: old.serial_number } }), 409, "already_replaced");
    expect(p.renewed_by).toBe(first.serial_number);

    const contested = await issue(tokens.admin, { hostnames: [`db.${zone}`] });
    const both = await Promise.all([0, 1].map(() => call("/v1/certificates", { token: tokens.admin, body: { hostnames: [`db.${zone}`], replaces: contested.serial_number } })));
    expect(both.map((r) => r.status).sort()).toEqual([201, 409]);
    const loser = both.find((r) => r.status === 409)!;
    await expectProblem(loser, 409, "already_replaced");
    const winner = (await both.find((r) => r.status === 201)!.json()) as IssuedJson;
    expect((await record(contested.serial_number)).renewed_by).toBe(winner.serial_number);
  });

  it("refuses an unknown serial (422 replaces_not_found) and one that is not a serial (400)", async () => {
    await expectProblem(await call("/v1/certificates", { token: tokens.admin, body: { hostnames: [`cp.${unique()}`], replaces: "7".repeat(32) } }), 422, "replaces_not_found");
    const p = await expectProblem(await call("/v1/certificates", { token: tokens.admin, body: { hostnames: [`cp.${unique()}`], replaces: "not-a-serial" } }), 400, "validation_failed");
    expect(p.errors).toEqual([{ pointer: "/replaces", detail: "a serial number, 1 to 40 hex digits" }]);
  });

  it("a revoked replacement replaces nothing: the predecessor may be replaced again", async () => {
    const zone = unique();
    const old = await issue(tokens.admin, { hostnames: [`cp.${zone}`, `x.${zone}`] });
    const bad = await issue(tokens.admin, { hostnames: [`cp.${zone}`], replaces: old.serial_number });
    expect((await call(`/v1/certificates/${bad.serial_number}/revoke`, { token: tokens.admin, body: { reason: "superseded" } })).status).toBe(200);
    expect(await record(old.serial_number)).toMatchObject({ renewed_by: null });
    const good = await issue(tokens.admin, { hostnames: [`cp.${zone}`], replaces: old.serial_number });
    expect(await record(old.serial_number)).toMatchObject({ renewed_by: good.serial_number });
  });
});

describe("renewal marking without replaces", () => {
  it("never silences another caller's at-risk certificate with the same names", async () => {
    const zone = unique();
    const theirs = await issue(tokens.shortTtl, { hostnames: [`cp.${zone}`] });
    await issue(tokens.admin, { hostnames: [`cp.${zone}`] });
    expect((await record(theirs.serial_number)).renewed_by).toBeNull();
    const res = await call(`/v1/certificates?hostname=cp.${zone}&renewed=false&expiring_within=365d`, { token: tokens.reader });
    expect(((await res.json()) as { certificates: RecordJson[] }).certificates.map((c) => c.serial_number)).toContain(theirs.serial_number);
    // The same caller's renewal still marks it.
    const mine = await issue(tokens.shortTtl, { hostnames: [`cp.${zone}`] });
    expect((await record(theirs.serial_number)).renewed_by).toBe(mine.serial_number);
  });
});
