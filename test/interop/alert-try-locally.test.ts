/**
 * docs/monitoring.md "Try it locally", followed against the running worker: the receiver runs as the
 * doc starts it (scripts/alert-receiver.ts, ALERT_WEBHOOK_SECRET set; here on an ephemeral port), the
 * worker gets the settings the doc appends to .dev.vars (its webhook URL pointing at that receiver),
 * and the doc's `alert=local` block runs as written (the port of http://127.0.0.1:8787 aside): a
 * certificate with a short ttl, then the cron. The receiver prints one POST, signature valid, naming
 * the certificate; the same block's cron again posts nothing (once per UTC day).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTempDir } from "../helpers/interop.ts";
import { type RunningWorker, startRunningWorker } from "../helpers/running-worker.ts";
import { cliEnv, makeToolDir, REPO, sh } from "./cli-harness.ts";

const doc = readFileSync(join(REPO, "docs", "monitoring.md"), "utf8");
const block = /^```sh alert=local\n([\s\S]*?)^```$/m.exec(doc)?.[1];
/** The settings the doc appends to .dev.vars, by name. */
const settings = Object.fromEntries([...(/^printf '%s\\n' (.*) >> \.dev\.vars$/m.exec(doc)?.[1] ?? "").matchAll(/([A-Z_]+)=(\S+)/g)].map((m) => [m[1]!, m[2]!]));
/** The receiver's command line in the doc: `ALERT_WEBHOOK_SECRET=… npm run alert:receiver`. */
const receiverLine = /^ALERT_WEBHOOK_SECRET=(\S+) npm run alert:receiver\b/m.exec(doc);

const temp = makeTempDir("edgeca-alert-local-");
let receiver: ChildProcess;
let printed = "";
let receiverUrl = "";
let worker: RunningWorker;

/** Waits until the receiver has printed `pattern` (it prints each request before answering it). */
async function printedMatch(pattern: RegExp, timeoutMs = 15_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !pattern.test(printed); ) {
    if (Date.now() > deadline) throw new Error(`the receiver did not print ${pattern}; it printed:\n${printed}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  expect(receiverLine, "the doc starts the receiver with ALERT_WEBHOOK_SECRET").not.toBeNull();
  expect(Object.keys(settings).sort()).toEqual(["ALERT_WEBHOOK_SECRET", "ALERT_WEBHOOK_URL", "ALERT_WITHIN"]);
  expect(settings.ALERT_WEBHOOK_SECRET, "the receiver and the worker share the secret").toBe(receiverLine![1]);
  expect(settings.ALERT_WEBHOOK_URL).toBe("http://127.0.0.1:9000/hook");
  // `npm run alert:receiver` is `tsx scripts/alert-receiver.ts`; an ephemeral port instead of 9000.
  receiver = spawn(join(REPO, "node_modules", ".bin", "tsx"), ["scripts/alert-receiver.ts", "--port", "0"], {
    cwd: REPO,
    env: { ...process.env, ALERT_WEBHOOK_SECRET: receiverLine![1] },
    stdio: ["ignore", "pipe", "pipe"],
  });
  receiver.stdout!.on("data", (d: Buffer) => (printed += d.toString("utf8")));
  receiver.stderr!.on("data", (d: Buffer) => (printed += d.toString("utf8")));
  await printedMatch(/listening on (http:\/\/127\.0\.0\.1:\d+\/hook), checking signatures/);
  receiverUrl = /listening on (\S+?),/.exec(printed)![1]!;
  worker = await startRunningWorker({ bindings: { ...settings, ALERT_WEBHOOK_URL: receiverUrl } });
});

afterAll(async () => {
  await worker?.stop();
  if (receiver && receiver.exitCode === null && receiver.signalCode === null) {
    const exited = new Promise((r) => receiver.once("exit", r));
    receiver.kill("SIGTERM");
    await exited;
  }
  temp.cleanup();
});

describe("docs/monitoring.md: try the expiry alerts locally", () => {
  it("a short-lived certificate and the cron: the receiver prints one signed POST naming it; the next run posts nothing", async () => {
    expect(block, "docs/monitoring.md has a ```sh alert=local block").toBeDefined();
    const script = block!.replaceAll("http://127.0.0.1:8787", worker.url);
    const env = cliEnv(worker.url, worker.authority.tokens.admin, { PATH: `${makeToolDir(temp.dir)}:${process.env.PATH}` });
    const first = await sh(script, { env, cwd: temp.dir });
    expect(first.status, first.stderr).toBe(0);
    await printedMatch(/→ 200/);
    const posts = () => printed.split("\n").filter((l) => /^POST \/hook at /.test(l)).length;
    expect(posts()).toBe(1);
    expect(printed).toMatch(/signature: valid \(HMAC-SHA256/);
    expect(printed).toMatch(/expiring\.example\.com: expires .* \(in 2 days\)/);
    expect(printed).toContain('"days_left": 2');

    // The cron again (the block's curl line): nothing new. A request of our own, printed after whatever came before it, marks the end.
    const cron = block!.split("\n").find((l) => l.startsWith("curl "))!.replaceAll("http://127.0.0.1:8787", worker.url);
    const again = await sh(cron, { env, cwd: temp.dir });
    expect(again.status, again.stderr).toBe(0);
    await fetch(receiverUrl.replace(/\/hook$/, "/end-of-test"), { method: "POST", body: "{}" });
    await printedMatch(/POST \/end-of-test/);
    expect(posts()).toBe(1);
  });
});
