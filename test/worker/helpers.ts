/** Helpers for driving the worker inside workerd. */
import { env, exports } from "cloudflare:workers";
import worker from "../../src/index.ts";
import type { Env } from "../../src/config.ts";
import type { IssuedCertificateJson } from "../../src/http/render.ts";

export const tokens = JSON.parse(env.TEST_TOKENS) as { admin: string; zoneA: string; reader: string; shortTtl: string };

export interface CallOptions {
  method?: string;
  token?: string | undefined;
  body?: unknown;
  rawBody?: BodyInit;
  headers?: Record<string, string>;
}

function buildRequest(path: string, opts: CallOptions): Request {
  const headers = new Headers(opts.headers);
  if (opts.token) headers.set("Authorization", `Bearer ${opts.token}`);
  let body: BodyInit | undefined = opts.rawBody;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers.set("Content-Type", "application/json");
  }
  return new Request(`http://edgeca.test${path}`, { method: opts.method ?? (body !== undefined ? "POST" : "GET"), headers, body: body ?? null });
}

/** Calls the worker through its real fetch entry (the SELF binding). */
export function call(path: string, opts: CallOptions = {}): Promise<Response> {
  return exports.default.fetch(buildRequest(path, opts));
}

/** Calls the worker's handler with a modified environment (misconfiguration tests). */
export async function callWithEnv(overrides: Partial<Record<keyof Env, string | undefined>>, path: string, opts: CallOptions = {}): Promise<Response> {
  const merged = { ...env, ...overrides } as Env;
  return worker.fetch(buildRequest(path, opts) as never, merged);
}

/** The origin test requests go to (no PUBLIC_URL in the test environment): problem types point there. */
export const PROBLEM_ORIGIN = "http://edgeca.test";

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  code: string;
  request_id: string;
  errors?: { pointer: string; detail: string }[];
  [k: string]: unknown;
}

export async function expectProblem(res: Response, status: number, code: string): Promise<Problem> {
  const text = await res.text();
  if (res.status !== status) throw new Error(`expected ${status} ${code}, got ${res.status}: ${text.slice(0, 400)}`);
  if (!res.headers.get("Content-Type")?.startsWith("application/problem+json")) throw new Error(`not problem+json: ${res.headers.get("Content-Type")}`);
  const body = JSON.parse(text) as Problem;
  if (body.code !== code) throw new Error(`expected code ${code}, got ${body.code}: ${text}`);
  // The type resolves to this code's row of the service's own problem documentation (/docs/problems, test/worker/problem-docs.test.ts).
  if (body.status !== status || body.type !== `${PROBLEM_ORIGIN}/docs/problems#${code}` || !body.title || body.request_id !== res.headers.get("X-Request-Id")) {
    throw new Error(`malformed problem document: ${text}`);
  }
  return body;
}

export type IssuedJson = IssuedCertificateJson;
