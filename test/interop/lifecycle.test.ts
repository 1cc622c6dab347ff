/**
 * Issue 14's "done when", against the real worker in workerd: /metrics passes
 * `promtool check metrics` (and the strict reader) and shows an at-risk
 * certificate; the scheduled run (wrangler's /__scheduled, as
 * `npm start -- --test-scheduled` serves it) posts one signed alert for it to
 * a loopback receiver that checks the signature and timestamp the way a real
 * receiver would, none on the next run, and a failed delivery is retried on
 * the next run. (The next UTC day: test/worker/expiry-alerts.test.ts.)
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { closeServer, listenLoopback } from "../helpers/net.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { post } from "../helpers/interop.ts";
import { parseExposition } from "../helpers/prometheus.ts";
import { promtool } from "../helpers/promtool.ts";
import { type RunningWorker, startRunningWorker } from "../helpers/running-worker.ts";

const SECRET = "alert-signing-secret-for-the-test";

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  verified: boolean;
}

/** A webhook receiver: verifies X-Edgeca-Signature over "<timestamp>.<body>" and refuses stale timestamps, like a real one should. */
class Receiver {
  readonly received: Received[] = [];
  /** The status the next deliveries get (a failing receiver: 500). */
  status = 200;
  server!: Server;
  url = "";

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const timestamp = String(req.headers["x-edgeca-timestamp"] ?? "");
        const expected = `sha256=${createHmac("sha256", SECRET).update(`${timestamp}.${body}`).digest("hex")}`;
        const given = Buffer.from(String(req.headers["x-edgeca-signature"] ?? ""));
        const fresh = Math.abs(Date.now() / 1000 - Number(timestamp)) < 300;
        const verified = fresh && req.method === "POST" && req.url === "/hook" && given.length === expected.length && timingSafeEqual(given, Buffer.from(expected));
        this.received.push({ headers: req.headers, body, verified });
        res.writeHead(verified ? this.status : 401).end();
      });
    });
    this.url = `http://127.0.0.1:${await listenLoopback(this.server)}/hook`;
  }
}

interface AlertBody {
  text: string;
  certificates: { serial: string; names: string[]; not_after: string; principal: string; days_left: number }[];
}

let worker: RunningWorker;
const receiver = new Receiver();

beforeAll(async () => {
  await receiver.start();
  worker = await startRunningWorker({ bindings: { ALERT_WEBHOOK_URL: receiver.url, ALERT_WEBHOOK_SECRET: SECRET, ALERT_WITHIN: "14d" } });
});

afterAll(async () => {
  await worker?.stop();
  if (receiver.server) await closeServer(receiver.server);
});

/**
 * One scheduled run, now. wrangler 4.86's /cdn-cgi/handler/scheduled answers 500 for a worker
 * with [assets] (its router worker has no scheduled handler); /__scheduled (--test-scheduled) works.
 */
async function runScheduled(): Promise<void> {
  const res = await fetch(`${worker.url}/__scheduled?cron=${encodeURIComponent("17 3 * * *")}`);
  expect(res.status, await res.text()).toBe(200);
}

async function issue(hostnames: string[], ttl: string): Promise<{ serial_number: string; not_after: string }> {
  const res = await post(worker, "/v1/certificates", { hostnames, ttl });
  expect(res.status).toBe(201);
  return res.json();
}

describe("certificate lifecycle in the running worker", () => {
  let atRisk: { serial_number: string; not_after: string };

  it("serves /metrics that promtool accepts, showing an at-risk certificate", async () => {
    atRisk = await issue(["cp.alert.mesh.example.com", "10.20.30.40"], "3d");
    await issue(["later.alert.mesh.example.com"], "60d");
    const replaced = await issue(["renewed.alert.mesh.example.com"], "3d");
    await issue(["renewed.alert.mesh.example.com"], "90d");

    const res = await fetch(`${worker.url}/metrics`, { headers: { authorization: `Bearer ${worker.authority.tokens.admin}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = await res.text();
    const verdict = promtool(text);
    if (verdict) expect(verdict, verdict.output).toMatchObject({ ok: true });
    const families = parseExposition(text);
    const series = families.get("edgeca_certificate_expiration_timestamp_seconds")!.samples;
    expect(series.map((s) => s.labels["serial"])).toEqual([atRisk.serial_number]);
    expect(series[0]!.labels).toEqual({ serial: atRisk.serial_number, common_name: "cp.alert.mesh.example.com", principal: "test-admin" });
    expect(series.some((s) => s.labels["serial"] === replaced.serial_number)).toBe(false);
    expect(families.get("edgeca_certificates_at_risk")!.samples.find((s) => s.labels["within"] === "7d")!.value).toBe(1);
    expect(families.get("edgeca_certificates")!.samples.map((s) => [s.labels["state"], s.value])).toEqual([["active", 3], ["renewed", 1], ["revoked", 0], ["expired", 0]]);
  });

  it("posts one signed alert for it on a scheduled run, and none on the next run", async () => {
    await runScheduled();
    expect(receiver.received).toHaveLength(1);
    const [first] = receiver.received;
    expect(first!.verified).toBe(true);
    expect(first!.headers["content-type"]).toBe("application/json");
    const alert = JSON.parse(first!.body) as AlertBody;
    expect(alert.certificates).toEqual([
      { serial: atRisk.serial_number, names: ["cp.alert.mesh.example.com", "10.20.30.40"], not_after: atRisk.not_after, principal: "test-admin", days_left: 2 },
    ]);
    expect(alert.text).toContain("cp.alert.mesh.example.com");
    expect(alert.text).toMatch(/^:warning: edgeca: 1 certificate expires within 14 days and no renewal was issued:\n• cp\.alert\.mesh\.example\.com, 10\.20\.30\.40: expires /);

    await runScheduled();
    expect(receiver.received).toHaveLength(1);
  });

  it("retries a failed delivery on the next run, and audits both", async () => {
    const second = await issue(["cp2.alert.mesh.example.com"], "5d");
    receiver.status = 500;
    await runScheduled();
    expect(receiver.received).toHaveLength(2);
    expect((JSON.parse(receiver.received[1]!.body) as AlertBody).certificates.map((c) => c.serial)).toEqual([second.serial_number]);

    receiver.status = 200;
    await runScheduled();
    expect(receiver.received).toHaveLength(3);
    expect(receiver.received[2]!.verified).toBe(true);
    expect((JSON.parse(receiver.received[2]!.body) as AlertBody).certificates.map((c) => c.serial)).toEqual([second.serial_number]);
    await runScheduled();
    expect(receiver.received).toHaveLength(3);

    const audit = await fetch(`${worker.url}/v1/audit?limit=50`, { headers: { authorization: `Bearer ${worker.authority.tokens.admin}` } });
    const events = ((await audit.json()) as { events: { event: string; outcome: string; status: number; code: string | null; path: string }[] }).events.filter((e) => e.event === "alert");
    expect(events.map((e) => [e.outcome, e.status, e.code])).toEqual([
      ["success", 200, null],
      ["failure", 500, "alert_delivery_failed"],
      ["success", 200, null],
    ]);
    for (const e of events) expect(e.path).not.toContain("127.0.0.1");
  });
});
