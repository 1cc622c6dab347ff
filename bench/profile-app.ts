/**
 * Profiles the service under load inside workerd: serves a built bundle (default /tmp/myout/index.js,
 * from `npx wrangler deploy --dry-run --minify=false --outdir /tmp/myout`; APP_OUT=dir to change) with
 * Miniflare, a throwaway CA and a fresh D1, drives one workload with autocannon (8 connections, SECS
 * seconds) and records the app isolate's V8 CPU profile over the DevTools protocol.
 * Usage: tsx bench/profile-app.ts issue|verify|reject
 * Sampling inflates short native calls (a signature shows ~3× its cost): read it for where, not how much.
 */
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import WebSocket from "ws";
import autocannon from "autocannon";
import { createTestAuthority } from "../test/helpers/test-authority.ts";
const root = new URL("..", import.meta.url).pathname;
const appOut = process.env.APP_OUT ?? "/tmp/myout";
const authority = await createTestAuthority();
const inspectorPort = 9400 + Math.floor(Math.random() * 300);
const mf = new Miniflare({ name: "app", modules: true, scriptPath: join(appOut, "index.js"), modulesRoot: appOut, compatibilityDate: "2026-04-20", host: "127.0.0.1", port: 0, inspectorPort,
  bindings: { ...authority.bindings, MAX_TTL: "397d", DEFAULT_TTL: "90d", CORS_ORIGINS: "" }, d1Databases: { DB: "edgeca-bench" }, d1Persist: false } as never);
const origin = (await mf.ready).origin;
const { unstable_splitSqlQuery } = await import("wrangler");
const db = await mf.getD1Database("DB");
for (const file of readdirSync(join(root, "migrations")).filter((f) => f.endsWith(".sql")).sort()) {
  const queries = unstable_splitSqlQuery(readFileSync(join(root, "migrations", file), "utf8"));
  await db.batch(queries.map((q: string) => db.prepare(q)));
}
const auth = { Authorization: `Bearer ${authority.tokens.admin}`, "Content-Type": "application/json" };
const which = process.argv[2] ?? "issue";
let body = JSON.stringify({ hostnames: ["cp.example.com"], key: "ecdsa-p256" });
let url = origin + "/v1/certificates";
if (which === "verify") {
  const issued = await (await fetch(url, { method: "POST", headers: auth, body })).json() as any;
  body = JSON.stringify({ chain: issued.chain, roots: issued.ca, hostname: "cp.example.com" });
  url = origin + "/v1/verify";
} else if (which === "reject") body = JSON.stringify({ hostnames: ["cp.example.com"], unknown_field: 1 });
console.log((await fetch(url, { method: "POST", headers: auth, body })).status);
const targets = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as any[];
const target = targets.find((t) => t.title === "workerd: worker core:user:app")!;
const ws = new WebSocket(target.webSocketDebuggerUrl);
await new Promise((r) => ws.once("open", r));
let id = 0;
const pending = new Map<number, (v: any) => void>();
ws.on("message", (m) => { const msg = JSON.parse(String(m)); if (msg.id !== undefined) pending.get(msg.id)?.(msg.result); });
const send = (method: string, params: object = {}) => new Promise<any>((r) => { const i = ++id; pending.set(i, r); ws.send(JSON.stringify({ id: i, method, params })); });
await send("Profiler.enable");
await send("Profiler.setSamplingInterval", { interval: 100 });
await send("Profiler.start");
const r = await autocannon({ url, method: "POST", headers: auth, body, connections: 8, duration: Number(process.env.SECS ?? 4) });
const { profile } = await send("Profiler.stop");
console.log("rps", r.requests.average, "total", r.requests.total, "non2xx", r.non2xx);
const out = `/tmp/edgeca-${which}.cpuprofile`;
writeFileSync(out, JSON.stringify(profile));
console.log(`wrote ${out}: read it with tsx bench/summarize-profile.ts ${out}`);
ws.close();
await mf.dispose();
