/**
 * Expiry alerts inside workerd with the real D1: which certificates are due
 * (at risk within ALERT_WITHIN, not alerted today), at most once per UTC day,
 * a failed delivery left for the next run, and the alert settings refused
 * without echoing the webhook URL. The delivery itself, to a real loopback
 * receiver, is test/interop/lifecycle.test.ts.
 */
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { alertMessage, sendExpiryAlerts } from "../../src/authority/expiry-alerts.ts";
import { loadAlertConfig } from "../../src/config/alerting.ts";
import worker from "../../src/index.ts";
import { d1AuditLog, d1ExpiryAlertLog } from "../../src/store/d1.ts";
import type { AlertDelivery, ExpiryAlert } from "../../src/store/types.ts";
import { call, callWithEnv, tokens, type IssuedJson } from "./helpers.ts";
import { inlineTrust, k8sClaims } from "./oidc-helpers.ts";

/** The AlertSink port, recording: what the use case hands the webhook, and the answer it gets. */
function recordingSink(answer: AlertDelivery = { ok: true, status: 200 }) {
  const sent: ExpiryAlert[] = [];
  return { sent, sink: { deliver: async (a: ExpiryAlert) => (sent.push(a), answer) } };
}

const DAY = 86_400_000;
const db = env.DB!;
const context = (sink: { deliver(a: ExpiryAlert): Promise<AlertDelivery> }, now: Date) => ({
  alerts: d1ExpiryAlertLog(db),
  sink,
  audit: d1AuditLog(db, { groupCommit: false }),
  now,
  withinSeconds: 14 * 86_400,
  runId: crypto.randomUUID(),
});

async function issue(hostnames: string[], ttl: string): Promise<IssuedJson> {
  const res = await call("/v1/certificates", { token: tokens.admin, body: { hostnames, ttl } });
  expect(res.status).toBe(201);
  return (await res.json()) as IssuedJson;
}

const serials = (sent: ExpiryAlert[]) => sent.flatMap((a) => a.certificates.map((c) => c.serial));

describe("expiry alerts", () => {
  it("alerts each at-risk certificate once per UTC day, and leave a failed delivery for the next run", async () => {
    const zone = `a${crypto.randomUUID().slice(0, 8)}.example.com`;
    const due = await issue([`cp.${zone}`], "10d");
    const notYet = await issue([`later.${zone}`], "30d");
    const renewedOld = await issue([`renewed.${zone}`], "5d");
    await issue([`renewed.${zone}`], "90d");
    const now = new Date();

    const failing = recordingSink({ ok: false, status: 503, reason: "the webhook answered 503" });
    expect(await sendExpiryAlerts(context(failing.sink, now))).toMatchObject({ reason: "the webhook answered 503" });
    expect(serials(failing.sent)).toContain(due.serial_number);

    const first = recordingSink();
    await sendExpiryAlerts(context(first.sink, new Date(now.getTime() + 1)));
    const mine = first.sent[0]!.certificates.find((c) => c.serial === due.serial_number)!;
    expect(mine).toEqual({ serial: due.serial_number, names: [`cp.${zone}`], not_after: due.not_after, principal: "test-admin", days_left: 9 });
    expect(serials(first.sent)).not.toContain(notYet.serial_number);
    expect(serials(first.sent)).not.toContain(renewedOld.serial_number);
    expect(first.sent[0]!.text).toContain(`cp.${zone}: expires ${due.not_after.slice(0, 16).replace("T", " ")} UTC (in 9 days)`);

    const again = recordingSink();
    await sendExpiryAlerts(context(again.sink, new Date(now.getTime() + 2)));
    expect(serials(again.sent)).not.toContain(due.serial_number);

    const tomorrow = recordingSink();
    await sendExpiryAlerts(context(tomorrow.sink, new Date(now.getTime() + DAY)));
    expect(serials(tomorrow.sent)).toContain(due.serial_number);

    // The failure and the deliveries are in the audit trail, without the URL.
    const { results } = await db.prepare("SELECT outcome, status, code FROM audit_events WHERE event = 'alert' ORDER BY id").all();
    expect(results).toContainEqual({ outcome: "failure", status: 503, code: "alert_delivery_failed" });
    expect(results).toContainEqual({ outcome: "success", status: 200, code: null });
  });

  it("names an OIDC caller's workload: the trust policy as principal and its sub as subject, in the data, the text and /metrics", async () => {
    const trust = await inlineTrust();
    const namespace = `al-${crypto.randomUUID().slice(0, 8)}`;
    const jwt = await trust.sign(k8sClaims(namespace));
    const res = await callWithEnv({ OIDC_TRUST: trust.OIDC_TRUST }, "/v1/certificates", { token: jwt, body: { hostnames: [`kuma-control-plane.${namespace}.svc`], ttl: "3d" } });
    expect(res.status).toBe(201);
    const issued = (await res.json()) as IssuedJson;
    const subject = `system:serviceaccount:${namespace}:kuma-control-plane`;

    const sink = recordingSink();
    await sendExpiryAlerts(context(sink.sink, new Date(Date.now() + 3 * DAY - 3_600_000)));
    const mine = sink.sent.flatMap((a) => a.certificates).find((c) => c.serial === issued.serial_number);
    expect(mine).toMatchObject({ principal: "zone-cp", subject });
    expect(sink.sent[0]!.text).toContain(`serial ${issued.serial_number}, trust policy zone-cp (sub ${subject})`);
    // An API token's certificate has no subject (asserted exactly in the first test).

    const metrics = await callWithEnv({ DB: { prepare: (q: string) => db.prepare(q), batch: (b: D1PreparedStatement[]) => db.batch(b) } } as never, "/metrics", { token: tokens.admin });
    const line = (await metrics.text()).split("\n").find((l) => l.includes(`serial="${issued.serial_number}"`));
    expect(line).toMatch(new RegExp(`^edgeca_certificate_expiration_timestamp_seconds\\{serial="${issued.serial_number}",common_name="kuma-control-plane.${namespace}.svc",principal="zone-cp",subject="${subject}"\\} `));
  });

  it("escapes &, < and > of caller-chosen values in the text, so a sub <!channel> mentions nobody; the JSON stays raw (issue 21 #8)", async () => {
    const trust = await inlineTrust();
    const namespace = `esc-${crypto.randomUUID().slice(0, 8)}`;
    // A GitHub ref may be named <!channel>; here the sub carries it, with an & and a user mention.
    const subject = "repo:example/infra:ref:refs/heads/<!channel>&<@U024BE7LH>";
    const jwt = await trust.sign(k8sClaims(namespace, { sub: subject }));
    const res = await callWithEnv({ OIDC_TRUST: trust.OIDC_TRUST }, "/v1/certificates", { token: jwt, body: { hostnames: [`kuma-control-plane.${namespace}.svc`], ttl: "3d" } });
    expect(res.status, await res.clone().text()).toBe(201);
    const issued = (await res.json()) as IssuedJson;

    const sink = recordingSink();
    await sendExpiryAlerts(context(sink.sink, new Date(Date.now() + 3 * DAY - 3_600_000)));
    const alert = sink.sent.find((a) => a.certificates.some((c) => c.serial === issued.serial_number))!;
    expect(alert.text).toContain(`serial ${issued.serial_number}, trust policy zone-cp (sub repo:example/infra:ref:refs/heads/&lt;!channel&gt;&amp;&lt;@U024BE7LH&gt;)`);
    expect(alert.text).not.toMatch(/<!channel>|<@U024BE7LH>/);
    // Slack's only control characters are &, < and >: none is left unescaped in the text.
    expect(alert.text.replace(/&(amp|lt|gt);/g, "")).not.toMatch(/[&<>]/);
    expect(alert.certificates.find((c) => c.serial === issued.serial_number)).toMatchObject({ principal: "zone-cp", subject });
  });

  it("escapes the token name and names too (every caller-controlled value of the text)", () => {
    const now = new Date("2026-12-07T00:00:00Z");
    const message = alertMessage(
      [{ serial: "0a", hostnames: ["a.example.com", "<b>"], not_after: "2026-12-10T00:00:00.000Z", token_name: "ops<&>", principal_subject: null } as never],
      now,
      14 * 86_400,
      false,
    );
    expect(message.text).toContain("• a.example.com, &lt;b&gt;: expires 2026-12-10 00:00 UTC (in 3 days), serial 0a, token ops&lt;&amp;&gt;");
    expect(message.certificates[0]).toMatchObject({ names: ["a.example.com", "<b>"], principal: "ops<&>" });
  });

  it("still runs housekeeping when the alert settings are wrong, and says which setting without the URL", async () => {
    const logged: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => void logged.push(args.join(" "));
    try {
      const secretUrl = "http://hooks.example.com/services/T000/B000/very-secret";
      await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "17 3 * * *" }), { ...env, ALERT_WEBHOOK_URL: secretUrl });
      expect(logged.join("\n")).toContain("ALERT_WEBHOOK_URL must be an https URL");
      expect(logged.join("\n")).not.toContain("very-secret");
    } finally {
      console.error = original;
    }
  });
});

describe("alert settings", () => {
  it("accepts https anywhere and http only to loopback, with ALERT_WITHIN defaulting to 14d", () => {
    expect(loadAlertConfig({})).toBeNull();
    expect(loadAlertConfig({ ALERT_WEBHOOK_URL: "https://hooks.slack.com/services/x" })).toEqual({ webhookUrl: "https://hooks.slack.com/services/x", secret: undefined, withinSeconds: 14 * 86_400 });
    for (const url of ["http://127.0.0.1:9000/hook", "http://[::1]:9000/hook", "http://localhost/hook", "http://127.1/hook"]) expect(loadAlertConfig({ ALERT_WEBHOOK_URL: url })).toMatchObject({ webhookUrl: expect.stringMatching(/^http:/) });
    expect(loadAlertConfig({ ALERT_WEBHOOK_URL: "https://h.example/x", ALERT_WEBHOOK_SECRET: "k", ALERT_WITHIN: "36h" })).toMatchObject({ secret: "k", withinSeconds: 36 * 3600 });
  });

  it("refuses other URLs without quoting them", () => {
    const cases: [string, RegExp][] = [
      ["http://hooks.example.com/secret-path", /must be an https URL/],
      ["http://127.0.0.1.example.com/secret-path", /must be an https URL/],
      ["ftp://example.com/secret-path", /must be an https URL/],
      ["not a url secret-path", /not a URL/],
      ["https://user:secret-path@example.com/", /credentials/],
    ];
    for (const [url, message] of cases) {
      const result = loadAlertConfig({ ALERT_WEBHOOK_URL: url });
      expect(result).toMatch(message);
      expect(result).not.toContain("secret-path");
    }
    expect(loadAlertConfig({ ALERT_WEBHOOK_URL: "https://h.example/x", ALERT_WITHIN: "soon" })).toMatch(/ALERT_WITHIN/);
  });
});
