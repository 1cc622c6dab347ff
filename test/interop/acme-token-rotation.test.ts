/**
 * docs/acme.md's central safety claim with a real client: an ACME account
 * acts for the API token that minted its EAB, by the token's SHA-256, so
 * rotating a leaked token under the same name (a new API_TOKENS entry, the
 * worker restarted on the same ledger, as `wrangler secret put` does) cuts
 * every account bound to the old one. lego, registered through the doc's
 * recipe, renews before the rotation and is refused with `unauthorized`
 * after it; a new EAB from the rotated token gives it a working account.
 */
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createToken } from "../../src/store/secret-tokens.ts";
import { makeTempDir } from "../helpers/interop.ts";
import { createTestAuthority, type TestAuthority } from "../helpers/test-authority.ts";
import { freePort, type RunningWorker, startRunningWorker } from "../helpers/running-worker.ts";
import { BIN, REPO, sh } from "./cli-harness.ts";
import { HAVE_LEGO, serialOf } from "./acme-harness.ts";
import { recipes } from "./recipe-harness.ts";

const DOC = recipes(readFileSync(join(REPO, "docs", "acme.md"), "utf8"));
const temp = makeTempDir("edgeca-acme-rotation-");
let worker: RunningWorker | undefined;
let authority: TestAuthority;
let port: number;
const state = join(temp.dir, "state");
const work = join(temp.dir, "work");

beforeAll(async () => {
  if (!HAVE_LEGO) return;
  authority = await createTestAuthority();
  // lego files its account under the server's host:port: the restarted worker must keep the port.
  port = await freePort();
  worker = await startRunningWorker({ authority, persistDir: state, port });
});

afterAll(async () => {
  await worker?.stop();
  temp.cleanup();
});

function env(token: string): NodeJS.ProcessEnv {
  const bin = join(temp.dir, "bin");
  if (!existsSync(bin)) {
    mkdirSync(bin, { recursive: true });
    symlinkSync(BIN, join(bin, "edgeca"));
    // systemctl: the hooks' restart, recorded nowhere (the certbot/lego test checks hooks).
    writeFileSync(join(bin, "systemctl"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
  }
  mkdirSync(work, { recursive: true });
  return { ...process.env, EDGECA_URL: worker!.url, EDGECA_TOKEN: token, EDGECA_RETRY_DELAY_MS: "50", NODE_NO_WARNINGS: "1", LEGO_PATH: join(work, "lego"), PATH: `${bin}:${process.env.PATH}` };
}

describe.skipIf(!HAVE_LEGO)("rotating the API token cuts the ACME accounts bound to it (lego)", () => {
  it("renews before the rotation, is refused with unauthorized after it, and works again with an EAB from the new token", async () => {
    const run = await sh(DOC.get("lego-run")!, { env: env(authority.tokens.zoneA), cwd: work });
    expect(run.status, run.stderr).toBe(0);
    const cert = join(work, "lego", "certificates", "cp.example.com.crt");
    const before = serialOf(cert);
    const renewed = await sh(DOC.get("lego-renew-now")!, { env: env(authority.tokens.zoneA), cwd: work });
    expect(renewed.status, renewed.stderr).toBe(0);
    const second = serialOf(cert);
    expect(second).not.toBe(before);

    // Rotation: zone-a-pipeline gets a new secret (same name, scopes and names), the old entry is gone.
    const entries = JSON.parse(authority.bindings.API_TOKENS) as { name: string; scopes: string[]; allow: string[] }[];
    const old = entries.find((e) => e.name === "zone-a-pipeline")!;
    const rotated = await createToken(old.name, old.scopes as never, old.allow);
    await worker!.stop();
    worker = undefined;
    worker = await startRunningWorker({ authority, persistDir: state, port, bindings: { API_TOKENS: JSON.stringify(entries.map((e) => (e.name === old.name ? rotated.entry : e))) } });

    const refused = await sh(DOC.get("lego-renew-now")!, { env: env(rotated.token), cwd: work });
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/urn:ietf:params:acme:error:unauthorized :: .*rotated/);
    expect(serialOf(cert)).toBe(second);

    // The operator hands the pipeline a new EAB from the rotated token; lego needs a new account (a new --email here,
    // as lego keys accounts by email) and gets certificates again.
    const fresh = await sh(DOC.get("lego-run")!.replace("ops@example.com", "ops2@example.com"), { env: env(rotated.token), cwd: work });
    expect(fresh.status, fresh.stderr).toBe(0);
    const third = serialOf(cert);
    expect(third).not.toBe(second);
    const res = await fetch(`${worker.url}/v1/certificates/${third}`, { headers: { authorization: `Bearer ${authority.tokens.admin}` } });
    expect(await res.json()).toMatchObject({ token_name: "zone-a-pipeline", status: "active" });
  });
});
