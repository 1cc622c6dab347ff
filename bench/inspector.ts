/**
 * A DevTools-protocol session with one isolate of a workerd process (Miniflare's inspector port), for
 * V8's sampling profiler: bench/profile-workerd.ts and `npm run bench` with BENCH_PROFILE.
 */
import WebSocket from "ws";

export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string } }[];
  samples: number[];
  timeDeltas: number[];
}

export interface InspectorSession {
  send(method: string, params?: object): Promise<{ profile?: CpuProfile }>;
  close(): void;
}

/** Connects to the first inspector target whose title `matches`; throws naming the titles when none does. */
export async function connectInspector(port: number, matches: (title: string) => boolean): Promise<InspectorSession> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json`)).json()) as { webSocketDebuggerUrl: string; title: string }[];
  const target = targets.find((t) => matches(t.title));
  if (!target) throw new Error(`no inspector target matches: ${targets.map((t) => t.title).join(", ")}`);
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((r) => ws.once("open", r));
  let id = 0;
  const pending = new Map<number, (v: unknown) => void>();
  ws.on("message", (m: unknown) => {
    const msg = JSON.parse(String(m)) as { id?: number; result?: unknown };
    if (msg.id !== undefined) pending.get(msg.id)?.(msg.result);
  });
  return {
    send: (method, params = {}) =>
      new Promise((r) => {
        const i = ++id;
        pending.set(i, r as (v: unknown) => void);
        ws.send(JSON.stringify({ id: i, method, params }));
      }),
    close: () => ws.close(),
  };
}
