/**
 * The webhook AlertSink against a real loopback HTTP server: the signature a
 * receiver recomputes, no signature without a secret, redirects not followed,
 * and failures described without the URL (a webhook URL is a credential).
 */
import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import { closeServer, listenLoopback } from "../helpers/net.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { webhookAlertSink } from "../../src/store/webhook-alert-sink.ts";
import type { ExpiryAlert } from "../../src/store/types.ts";

const requests: { url: string; headers: IncomingHttpHeaders; body: string }[] = [];
const server = createServer((req, res) => {
  let body = "";
  req.on("data", (c: Buffer) => (body += c.toString("utf8")));
  req.on("end", () => {
    requests.push({ url: req.url!, headers: req.headers, body });
    if (req.url === "/moved") res.writeHead(307, { Location: "/hook" }).end();
    else if (req.url === "/down") res.writeHead(503).end("maintenance");
    else res.writeHead(204).end();
  });
});
let base = "";
beforeAll(async () => {
  base = `http://127.0.0.1:${await listenLoopback(server)}`;
});
afterAll(() => closeServer(server));

const alert: ExpiryAlert = { text: "edgeca: 1 certificate expires", certificates: [{ serial: "0a", names: ["cp.example.com"], not_after: "2027-01-01T00:00:00.000Z", principal: "ci", days_left: 3 }] };

describe("webhookAlertSink", () => {
  it("POSTs the alert as JSON with an HMAC-SHA256 over timestamp and body", async () => {
    const now = new Date("2026-12-01T12:00:00Z");
    expect(await webhookAlertSink({ url: `${base}/hook`, secret: "s3cret", now: () => now }).deliver(alert)).toEqual({ ok: true, status: 204 });
    const r = requests.at(-1)!;
    expect(JSON.parse(r.body)).toEqual(alert);
    expect(r.headers["content-type"]).toBe("application/json");
    expect(r.headers["x-edgeca-timestamp"]).toBe(String(now.getTime() / 1000));
    expect(r.headers["x-edgeca-signature"]).toBe(`sha256=${createHmac("sha256", "s3cret").update(`${now.getTime() / 1000}.${r.body}`).digest("hex")}`);
  });

  it("sends no signature without a secret", async () => {
    await webhookAlertSink({ url: `${base}/hook`, secret: undefined }).deliver(alert);
    expect(requests.at(-1)!.headers["x-edgeca-signature"]).toBeUndefined();
  });

  it("reports failures without the URL, and does not follow redirects", async () => {
    const before = requests.length;
    const moved = await webhookAlertSink({ url: `${base}/moved`, secret: undefined }).deliver(alert);
    expect(moved).toEqual({ ok: false, status: 307, reason: "the webhook answered 307, a redirect (not followed)" });
    expect(requests.length).toBe(before + 1);
    expect(await webhookAlertSink({ url: `${base}/down`, secret: undefined }).deliver(alert)).toEqual({ ok: false, status: 503, reason: "the webhook answered 503" });
    // A closed port: unreachable.
    const closed = createServer();
    const port = await listenLoopback(closed);
    await closeServer(closed);
    const unreachable = await webhookAlertSink({ url: `http://127.0.0.1:${port}/token-in-path`, secret: undefined }).deliver(alert);
    expect(unreachable).toMatchObject({ ok: false, status: null });
    expect(JSON.stringify(unreachable)).not.toMatch(/token-in-path|127\.0\.0\.1/);
  });
});
