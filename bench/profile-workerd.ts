/**
 * Profiles a Worker inside workerd (not Node): serves a built bundle with
 * Miniflare and an inspector port, starts V8's sampling profiler over the
 * DevTools protocol, drives `n` requests, and writes a .cpuprofile that
 * bench/summarize-profile.ts reads. What it shows is the isolate thread only.
 * Usage: tsx bench/profile-workerd.ts <module.js> <url path> [requests] [out.cpuprofile]
 *   e.g. tsx bench/profile-workerd.ts /tmp/core/core-worker.js "/?op=fast&n=200" 20
 * Bindings: CA_CERT / CA_KEY of a throwaway test CA (bench/core-worker.ts needs them).
 */
import { writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { Miniflare } from "miniflare";
import { createTestAuthority } from "../test/helpers/test-authority.ts";
import { connectInspector } from "./inspector.ts";

const [script, path = "/", countArg = "20", out = "/tmp/workerd.cpuprofile"] = process.argv.slice(2);
if (!script) throw new Error("usage: profile-workerd <module.js> <path> [requests] [out]");
const authority = await createTestAuthority();
const inspectorPort = 9229 + Math.floor(Math.random() * 500);
const mf = new Miniflare({
  name: "profiled",
  modules: true,
  scriptPath: script,
  modulesRoot: dirname(script),
  compatibilityDate: "2026-04-20",
  host: "127.0.0.1",
  port: 0,
  inspectorPort,
  bindings: { CA_CERT: authority.bindings.CA_CERT, CA_KEY: authority.bindings.CA_KEY },
});
const origin = (await mf.ready).origin;
await (await fetch(origin + path)).text();
// The worker's own isolate is titled after its name; fall back to any target.
const { send, close } = await connectInspector(inspectorPort, (t) => t.includes("profiled")).catch(() => connectInspector(inspectorPort, () => true));
await send("Profiler.enable");
await send("Profiler.setSamplingInterval", { interval: 50 });
await send("Profiler.start");
for (let i = 0; i < Number(countArg); i++) await (await fetch(origin + path)).text();
const { profile } = await send("Profiler.stop");
writeFileSync(out, JSON.stringify(profile));
console.log(`wrote ${out}`);
close();
await mf.dispose();
