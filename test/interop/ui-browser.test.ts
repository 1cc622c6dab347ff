/**
 * The inventory page (/ui) in a real Chromium (test/helpers/browser.ts) against the real worker: a bad
 * token's 401 is shown, the CA, table and expiry timeline show what the ledger holds, filters narrow the
 * table, a detail opens and downloads its PEM, a revocation (reason + confirmation) reaches the ledger,
 * a token without the revoke scope sees the 403, a renewed certificate links to its successor; and the page runs under a strict CSP that really blocks
 * inline script, with no request leaving the origin. Screenshots: test-results/ui*.png (git-ignored).
 */
import { X509Certificate } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPublic } from "../../scripts/build-public.ts";
import { launchChromium } from "../helpers/browser.ts";
import { kubernetesClaims, signingKey, TestIssuer, type SigningKey } from "../helpers/oidc-issuer.ts";
import { startRunningWorker, type RunningWorker } from "../helpers/running-worker.ts";
import { REPO } from "./cli-harness.ts";

const OUT = join(REPO, "test-results");

let worker: RunningWorker;
let browser: Browser;
let renewedSerial: string;
/** A cluster's service-account issuer (inline JWKS), trusted by policy "zone-cp" for its namespaces' control planes. */
const CLUSTER_ISSUER = "https://kubernetes.default.svc.cluster.local";
let clusterKey: SigningKey;
const issued: Record<string, { serial_number: string; certificate: string }> = {};

/** Issues and keeps the answer under the first name (a renewal replaces its predecessor's entry). */
async function issue(token: string, hostnames: string[], ttl: string): Promise<{ serial_number: string; certificate: string }> {
  const res = await fetch(`${worker.url}/v1/certificates`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ hostnames, ttl }),
  });
  expect(res.status).toBe(201);
  return (issued[hostnames[0]!] = (await res.json()) as { serial_number: string; certificate: string });
}

async function ledger(serial: string): Promise<{ status: string; revocation_reason: string | null }> {
  const res = await fetch(`${worker.url}/v1/certificates/${serial}`, { headers: { authorization: `Bearer ${worker.authority.tokens.admin}` } });
  return (await res.json()) as never;
}

/** A page that records every request and every CSP violation the browser reports. */
async function openPage(): Promise<{ page: Page; requests: string[]; cspErrors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
  const requests: string[] = [];
  const cspErrors: string[] = [];
  page.on("request", (r) => requests.push(r.url()));
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
  });
  await page.goto(`${worker.url}/ui`);
  return { page, requests, cspErrors };
}

async function connect(page: Page, token: string): Promise<void> {
  await page.fill("#token-input", token);
  await page.click("#token-form button[type=submit]");
}

const rowCount = (page: Page) => page.locator("#certs tbody tr[data-serial]").count();

beforeAll(async () => {
  buildPublic(REPO); // public/ui from static/ui as committed, whatever `npm install` built earlier
  mkdirSync(OUT, { recursive: true });
  clusterKey = await signingKey("ES256");
  const trust = [{ name: "zone-cp", issuer: CLUSTER_ISSUER, audience: "edgeca", jwks: { keys: [clusterKey.publicJwk] }, claims: { "/kubernetes.io/serviceaccount/name": "kuma-control-plane" }, scopes: ["issue"], allow: ["kuma-control-plane.{/kubernetes.io/namespace}.svc"] }];
  [worker, browser] = await Promise.all([startRunningWorker({ bindings: { OIDC_TRUST: JSON.stringify(trust) } }), launchChromium()]);
  const { admin, shortTtl } = worker.authority.tokens;
  // Two at risk within 30 days (one within 7), three safe, one from another principal.
  await issue(admin, ["cp.ui.example.com", "kuma-control-plane.kuma-system.svc"], "90d");
  await issue(admin, ["kds.ui.example.com"], "75d");
  await issue(admin, ["mads.ui.example.com"], "45d");
  await issue(admin, ["edge.ui.example.com", "10.0.0.9"], "20d");
  await issue(admin, ["soon.ui.example.com"], "3d");
  await issue(shortTtl, ["zone.other.example.net"], "6d");
  // A renewal: the same names again mark the 10-day certificate renewed; it stays valid, not at risk.
  renewedSerial = (await issue(admin, ["renewed.ui.example.com"], "10d")).serial_number;
  await issue(admin, ["renewed.ui.example.com"], "80d");
});

afterAll(async () => {
  await browser?.close();
  await worker?.stop();
});

describe("GET /ui", () => {
  it("shows a 401, then the CA, certificates and timeline; filters, opens a detail, downloads its PEM and revokes", async () => {
    const { page, requests, cspErrors } = await openPage();
    await page.waitForSelector("#connect:not([hidden])");

    // A wrong token: the problem document's detail, in the page; nothing kept.
    await connect(page, "not-a-real-token");
    await expect.poll(() => page.locator("#alert").isVisible()).toBe(true);
    expect(await page.locator("#alert-title").innerText()).toBe("Token refused (401)");
    expect(await page.locator("#alert-detail").innerText()).toContain("the bearer token is not known");
    expect(await page.locator("#alert-meta").innerText()).toMatch(/^unauthorized · request /);
    expect(await page.evaluate('sessionStorage.getItem("edgeca.token")')).toBeNull();

    await connect(page, worker.authority.tokens.admin);
    await expect.poll(() => rowCount(page)).toBe(8);
    expect(await page.locator("#alert").isHidden()).toBe(true);
    expect(await page.evaluate('sessionStorage.getItem("edgeca.token")')).toBe(worker.authority.tokens.admin);
    expect(await page.evaluate("localStorage.length")).toBe(0);

    // The CA card: the root of ca.crt with its fingerprint, and the issuing CA.
    const root = new X509Certificate(worker.authority.rootPem);
    const ca = await page.locator("#ca-body").innerText();
    expect(ca).toContain("edgeca test root");
    expect(ca).toContain("edgeca test issuing CA");
    expect(ca).toContain(root.fingerprint256);
    expect(await page.locator("#ca-download").getAttribute("href")).toBe("/v1/ca");

    // Timeline and figures: 3 at risk within 30 days (20d, 6d, 3d), 2 within 7, 8 expiring within 90, 1 renewed (10d).
    await expect.poll(() => page.locator("#timeline circle.dot").count()).toBe(8);
    expect(await page.locator("#timeline circle.dot.risk").count()).toBe(3);
    expect(await page.locator(`#timeline circle.dot.renewed[data-serial="${renewedSerial}"]`).count()).toBe(1);
    expect(await page.locator("#stat-risk7").innerText()).toBe("2");
    expect(await page.locator("#stat-risk30").innerText()).toBe("3");
    expect(await page.locator("#stat-90").innerText()).toBe("8");
    expect(await page.locator("#stat-renewed").innerText()).toBe("1");
    await page.screenshot({ path: join(OUT, "ui.png"), fullPage: true });

    // Filters: at risk within 7 days; a suffix; a principal.
    await page.selectOption("#f-risk", "7d");
    await expect.poll(() => rowCount(page)).toBe(2);
    expect(await page.locator("#certs tbody").innerText()).toContain("soon.ui.example.com");
    await page.click("#filters button[type=reset]");
    await page.selectOption("#f-risk", "30d");
    await expect.poll(() => rowCount(page)).toBe(3); // not the renewed 10-day one
    await page.click("#filters button[type=reset]");
    await page.fill("#f-name", ".ui.example.com");
    await page.click("#filters button[type=submit]");
    await expect.poll(() => rowCount(page)).toBe(7);
    await page.fill("#f-name", "");
    await page.fill("#f-token", "short-ttl");
    await page.click("#filters button[type=submit]");
    await expect.poll(() => rowCount(page)).toBe(1);
    expect(await page.locator("#certs tbody").innerText()).toContain("zone.other.example.net");
    await page.fill("#f-token", "");
    await page.selectOption("#f-state", "renewed");
    const serials = () => page.locator("#certs tbody tr[data-serial]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-serial")));
    await expect.poll(serials).toEqual([renewedSerial]);

    // The renewed certificate's detail links to its successor.
    await page.click(`#certs tr[data-serial="${renewedSerial}"]`);
    await expect.poll(() => page.locator("#detail-serial").textContent()).toBe(renewedSerial);
    const successor = issued["renewed.ui.example.com"]!.serial_number;
    expect(await page.locator("#renewed-by").textContent()).toBe(successor);
    expect(await page.locator("#detail-body .detail-badges").innerText()).toContain("renewed");
    await page.click("#renewed-by");
    await expect.poll(() => page.locator("#detail-serial").textContent()).toBe(successor);
    await page.click("#detail-close");
    await page.click("#filters button[type=reset]");
    await expect.poll(() => rowCount(page)).toBe(8);

    // A detail, from a timeline dot (the 20-day certificate).
    const edge = issued["edge.ui.example.com"]!;
    await page.click(`#timeline circle[data-serial="${edge.serial_number}"]`);
    await expect.poll(() => page.locator("#detail-serial").textContent()).toBe(edge.serial_number);
    const detail = await page.locator("#detail-body").innerText();
    for (const text of ["edge.ui.example.com", "10.0.0.9", "at risk", "edgeca test issuing CA", "edgeca test root", "test-admin"]) expect(detail).toContain(text);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download-pem")]);
    expect(download.suggestedFilename()).toBe(`${edge.serial_number}.crt`);
    expect(readFileSync((await download.path())!, "utf8")).toBe(edge.certificate);
    await page.screenshot({ path: join(OUT, "ui-detail.png") });

    // Revoke: nothing until a reason is chosen and the confirmation ticked.
    await page.click("#revoke-open");
    await page.waitForSelector("#revoke-dialog[open]");
    expect(await page.locator("#revoke-submit").isDisabled()).toBe(true);
    await page.selectOption("#revoke-reason", "keyCompromise");
    expect(await page.locator("#revoke-submit").isDisabled()).toBe(true);
    await page.check("#revoke-confirm");
    await page.screenshot({ path: join(OUT, "ui-revoke.png") });
    await page.click("#revoke-submit");
    await expect.poll(() => page.locator("#revocation-reason").textContent()).toBe("keyCompromise");
    expect(await page.locator("#revoke-open").isDisabled()).toBe(true);
    expect(await ledger(edge.serial_number)).toMatchObject({ status: "revoked", revocation_reason: "keyCompromise" });
    // The revoked certificate leaves the timeline's at-risk set.
    await expect.poll(() => page.locator("#timeline circle.dot.risk").count()).toBe(2);

    // The reader token may look but not revoke: the 403 is shown in the dialog, nothing changes.
    await page.click("#forget-token");
    await connect(page, worker.authority.tokens.reader);
    await expect.poll(() => rowCount(page)).toBe(8);
    const soon = issued["soon.ui.example.com"]!;
    await page.click(`#certs tr[data-serial="${soon.serial_number}"]`);
    await expect.poll(() => page.locator("#detail-serial").textContent()).toBe(soon.serial_number);
    await page.click("#revoke-open");
    await page.selectOption("#revoke-reason", "superseded");
    await page.check("#revoke-confirm");
    await page.click("#revoke-submit");
    await expect.poll(() => page.locator("#revoke-error").isVisible()).toBe(true);
    expect(await page.locator("#revoke-error").innerText()).toMatch(/^Not allowed \(403\): token "reader" lacks the "revoke" scope/);
    expect((await ledger(soon.serial_number)).status).toBe("active");

    expect(requests.filter((u) => new URL(u).origin !== worker.url)).toEqual([]);
    expect(cspErrors).toEqual([]);
    await page.close();
  });

  it("is served with a strict CSP that blocks inline script, keeps the token in this tab, pages with Load more, and calls only its origin", async () => {
    const res = await fetch(`${worker.url}/ui/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy") ?? "";
    const directives = Object.fromEntries(csp.split(";").map((d) => d.trim().split(/\s+/)).map(([k, ...v]) => [k, v.join(" ")]));
    expect(directives).toMatchObject({ "default-src": "'none'", "script-src": "'self'", "style-src": "'self'", "connect-src": "'self'", "img-src": "'self'", "frame-ancestors": "'none'", "base-uri": "'none'", "form-action": "'none'" });
    expect(csp).not.toMatch(/unsafe-|data:|\*|https?:/);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>|\sstyle=|\son[a-z]+=/i); // no inline script, style or handlers
    expect((await fetch(`${worker.url}/ui/app.js`)).headers.get("content-security-policy")).toBe(csp);

    const { page, requests, cspErrors } = await openPage();
    await connect(page, worker.authority.tokens.admin);
    await expect.poll(() => rowCount(page)).toBeGreaterThan(0);
    await page.click("#certs tbody tr[data-serial] >> nth=0");
    await page.waitForSelector("#detail-serial");
    // The CSP is in force: an injected inline script does not run, and the browser reports it.
    // (A string, evaluated in the page: this file is type-checked without the DOM library.)
    const injected = await page.evaluate(`new Promise((resolve) => {
      document.addEventListener("securitypolicyviolation", (e) => resolve({ ran: "__injected" in window, violation: e.violatedDirective }), { once: true });
      const s = document.createElement("script");
      s.textContent = "window.__injected = true";
      document.body.append(s);
    })`);
    expect(injected).toEqual({ ran: false, violation: "script-src-elem" });
    // Pages of 50 with "Load more" (next_cursor): 53 certificates under one suffix, outside the 90-day timeline.
    await Promise.all(Array.from({ length: 53 }, (_, i) => issue(worker.authority.tokens.admin, [`n${i}.bulk.example.com`], "200d")));
    await page.click("#detail-close");
    await page.fill("#f-name", ".bulk.example.com");
    await page.click("#filters button[type=submit]");
    await expect.poll(() => rowCount(page)).toBe(50);
    expect(await page.locator("#load-more").isVisible()).toBe(true);
    await page.click("#load-more");
    await expect.poll(() => rowCount(page)).toBe(53);
    expect(await page.locator("#load-more").isHidden()).toBe(true);
    const serials = await page.locator("#certs tbody tr[data-serial]").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-serial")));
    expect(new Set(serials).size).toBe(53);

    // OIDC callers: one trust policy, two namespaces. The table shows each certificate's sub under the policy's
    // name, and the subject filter (subject=) tells the two workloads of the one policy apart.
    const jwt = (namespace: string) => new TestIssuer(CLUSTER_ISSUER, [clusterKey]).sign(kubernetesClaims(CLUSTER_ISSUER, "edgeca", namespace));
    const zoneB = await issue(await jwt("zone-b"), ["kuma-control-plane.zone-b.svc"], "200d");
    await issue(await jwt("zone-c"), ["kuma-control-plane.zone-c.svc"], "200d");
    await page.fill("#f-name", "");
    await page.fill("#f-token", "zone-cp");
    await page.click("#filters button[type=submit]");
    await expect.poll(() => rowCount(page)).toBe(2);
    await page.fill("#f-subject", "system:serviceaccount:zone-b:kuma-control-plane");
    await page.click("#filters button[type=submit]");
    await expect.poll(() => rowCount(page)).toBe(1);
    const principal = await page.locator(`#certs tr[data-serial="${zoneB.serial_number}"] td.principal`).innerText();
    expect(principal).toContain("zone-cp");
    expect(principal).toContain("system:serviceaccount:zone-b:kuma-control-plane");
    await page.click(`#certs tr[data-serial="${zoneB.serial_number}"]`);
    await expect.poll(() => page.locator("#detail-principal").innerText()).toContain("system:serviceaccount:zone-b:kuma-control-plane");
    await page.click("#detail-close");

    // A reload in the same tab keeps the session; the token is never in the URL.
    await page.reload();
    await expect.poll(() => rowCount(page)).toBeGreaterThan(0);
    expect(page.url()).not.toContain(worker.authority.tokens.admin);

    const foreign = requests.filter((u) => new URL(u).origin !== worker.url);
    expect(foreign).toEqual([]);
    const paths = requests.map((u) => new URL(u).pathname);
    expect(paths).toContain("/ui/app.js");
    expect(paths).toContain("/v1/certificates");
    expect(cspErrors.length).toBe(1); // the injected script, and nothing of the page's own
    await page.close();
  });
});
