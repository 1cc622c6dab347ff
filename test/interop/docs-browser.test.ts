/**
 * /docs in a real browser (Debian's Chromium when installed, else the npm-packaged
 * one; see test/helpers/browser.ts), driven by playwright-core:
 * every operation is listed, and "Try it out" on GET /v1/ca succeeds
 * against the running worker, with all assets served by the worker itself.
 */
import { readFileSync } from "node:fs";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { launchChromium } from "../helpers/browser.ts";
import { startRunningWorker, type RunningWorker } from "../helpers/running-worker.ts";

const doc = parse(readFileSync("openapi.yaml", "utf8")) as { paths: Record<string, Record<string, unknown>> };
const operationCount = Object.values(doc.paths).reduce((n, m) => n + Object.keys(m).length, 0);

let worker: RunningWorker;
let browser: Browser;

beforeAll(async () => {
  worker = await startRunningWorker();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await worker?.stop();
});

describe("GET /docs", () => {
  it("shows every operation and runs 'Try it out' against GET /v1/ca, loading nothing from other origins", async () => {
    const page = await browser.newPage();
    const foreign: string[] = [];
    page.on("request", (req) => {
      if (!req.url().startsWith(worker.url) && !req.url().startsWith("data:")) foreign.push(req.url());
    });
    const consoleErrors: string[] = [];
    page.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(m.text());
    });
    await page.goto(`${worker.url}/docs`);
    await page.waitForSelector(".opblock", { timeout: 20_000 });
    expect(await page.locator(".opblock").count()).toBe(operationCount);

    await page.click(".btn.authorize");
    await page.fill(".auth-container input", worker.authority.tokens.admin);
    await page.click(".auth-btn-wrapper .authorize");
    await page.click(".btn-done");

    const op = page.locator("#operations-trust-getTrustBundle");
    await op.locator(".opblock-summary").click();
    await op.locator(".try-out__btn").click();
    // Ask for the JSON description: Swagger UI cannot display application/x-pem-file bodies.
    await op.locator('tr[data-param-name="format"] select').selectOption("json");
    await op.locator(".execute").click();
    await op.locator(".responses-table .response .response-col_status").first().waitFor({ timeout: 15_000 });
    const status = (await op.locator(".live-responses-table .response .response-col_status").first().innerText()).trim();
    expect(status).toBe("200");
    expect(await op.locator(".live-responses-table .response .response-col_description").first().innerText()).toContain("BEGIN CERTIFICATE");
    // Issue 21 #2: the bearer token is never written to storage every page of the origin can read.
    const stored = await page.evaluate(() => JSON.stringify({ ...(globalThis as unknown as { localStorage: Record<string, string> }).localStorage }));
    expect(stored).not.toContain(worker.authority.tokens.admin);
    expect(stored).not.toContain("authorized");
    expect(foreign).toEqual([]);
    expect(consoleErrors.filter((e) => /Content Security Policy/i.test(e))).toEqual([]);
  });
});
