/**
 * `npm start` (scripts/start.ts) on a busy port: one clear line naming the
 * port and what to set, exit 1, before anything is built or written; --port
 * is the port it checks (mapped, not passed to wrangler twice).
 */
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeServer, listenLoopback } from "../helpers/net.ts";
import { REPO, spawnAsync } from "./cli-harness.ts";

const TSX = join(REPO, "node_modules", ".bin", "tsx");
const busy = createServer();
let port = 0;
beforeAll(async () => {
  port = await listenLoopback(busy);
});
afterAll(() => closeServer(busy));

const start = (args: string[], env: Record<string, string> = {}) => spawnAsync(TSX, ["scripts/start.ts", ...args], { env: { ...process.env, ...env, PORT: env.PORT ?? "" }, timeoutMs: 30_000 });

describe("npm start on a busy port", () => {
  it("PORT: prints one line naming the port and exits 1", async () => {
    const r = await start([], { PORT: String(port) });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`edgeca: port ${port} is in use; set PORT=… (e.g. PORT=${port + 1} npm start)`);
    expect(r.stdout).toBe("");
  });

  it("--port: the same port is checked (and would be the one wrangler gets)", async () => {
    const r = await start(["--port", String(port)], { PORT: "1" });
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe(`edgeca: port ${port} is in use; set PORT=… (e.g. PORT=${port + 1} npm start)`);
  });

  it("--help documents PORT and exits 0 without starting anything", async () => {
    const r = await start(["--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("PORT=8788 npm start");
  });
});
