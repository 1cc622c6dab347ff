/**
 * scripts/alert-receiver.ts, the receiver docs/monitoring.md's "Try it locally" uses: it prints what
 * arrives and, with a secret, accepts exactly what edgeca's webhook sink signs (the sink's own signAlert)
 * and refuses a wrong signature, a missing one and a stale timestamp with 401.
 */
import { afterEach, describe, expect, it } from "vitest";
import { startAlertReceiver, type AlertReceiver } from "../../scripts/alert-receiver.ts";
import { signAlert } from "../../src/store/webhook-alert-sink.ts";

const SECRET = "try-it-locally";
const body = JSON.stringify({ text: ":warning: edgeca: 1 certificate expires within 14 days\n• cp.example.com: expires soon", certificates: [{ serial: "0a", names: ["cp.example.com"] }] });
let receiver: AlertReceiver | undefined;
let log: string[] = [];

afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
  log = [];
});

async function post(headers: Record<string, string>) {
  const res = await fetch(receiver!.url, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body });
  return { status: res.status, printed: log.join("") };
}

describe("alert receiver", () => {
  it("with a secret: a request signed as edgeca signs it is valid (200) and printed with its text and body", async () => {
    receiver = await startAlertReceiver({ port: 0, secret: SECRET, log: (t) => log.push(t) });
    expect(receiver.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/hook$/);
    const ts = String(Math.floor(Date.now() / 1000));
    const r = await post({ "X-Edgeca-Timestamp": ts, "X-Edgeca-Signature": await signAlert(SECRET, ts, body) });
    expect(r.status).toBe(200);
    expect(r.printed).toMatch(/^POST \/hook at /);
    expect(r.printed).toMatch(/signature: valid \(HMAC-SHA256/);
    expect(r.printed).toContain("    • cp.example.com: expires soon");
    expect(r.printed).toContain('"serial": "0a"');
    expect(r.printed).toContain("→ 200");
  });

  it("refuses a wrong signature, a missing one and a stale timestamp with 401", async () => {
    receiver = await startAlertReceiver({ port: 0, secret: SECRET, log: (t) => log.push(t) });
    const ts = String(Math.floor(Date.now() / 1000));
    const wrong = await post({ "X-Edgeca-Timestamp": ts, "X-Edgeca-Signature": await signAlert("another-secret", ts, body) });
    expect(wrong.status).toBe(401);
    expect(wrong.printed).toContain("INVALID: the signature does not match");
    expect((await post({})).status).toBe(401);
    expect(log.join("")).toContain("INVALID: no X-Edgeca-Timestamp / X-Edgeca-Signature header");
    const old = String(Math.floor(Date.now() / 1000) - 3600);
    const stale = await post({ "X-Edgeca-Timestamp": old, "X-Edgeca-Signature": await signAlert(SECRET, old, body) });
    expect(stale.status).toBe(401);
    expect(stale.printed).toMatch(/INVALID: the timestamp is 3\d{3} s old/);
  });

  it("without a secret: prints and accepts, saying the signature was not checked", async () => {
    receiver = await startAlertReceiver({ port: 0, secret: undefined, log: (t) => log.push(t) });
    const r = await post({});
    expect(r.status).toBe(200);
    expect(r.printed).toContain("signature: not checked (no ALERT_WEBHOOK_SECRET here)");
  });
});
