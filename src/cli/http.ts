/**
 * The HTTP client: bearer auth, problem+json rendered as one readable line,
 * and retries with exponential backoff and full jitter on network errors,
 * 5xx and 429 (Retry-After honoured). Callers that issue pass one
 * Idempotency-Key, sent unchanged on every retry, so a retried issuance
 * mints one certificate.
 */
import { CliError, EXIT } from "./errors.ts";

export interface ClientOptions {
  url: string;
  /** The bearer credential, or how to get it once it is needed (a GitHub Actions ID token is requested lazily). */
  token?: string | (() => Promise<string>) | undefined;
  /** Retries after the first attempt (default 4). */
  retries: number;
  /** First backoff ceiling in ms (default 500), doubling up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** Longest Retry-After we wait for, in ms. */
  maxRetryAfterMs: number;
  /** Per-attempt timeout in ms. */
  timeoutMs: number;
  userAgent: string;
  /** Called before each retry (the CLI logs it to stderr). */
  onRetry?: (info: { attempt: number; delayMs: number; reason: string }) => void;
}

export interface RequestOptions {
  method?: "GET" | "POST";
  body?: unknown;
  /** Sent as Idempotency-Key on every attempt. */
  idempotencyKey?: string;
  /** Whether the endpoint needs the bearer token (default true). */
  auth?: boolean;
  accept?: string;
}

export interface Response {
  status: number;
  headers: Headers;
  text: string;
  json<T>(): T;
}

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  code?: string;
  request_id?: string;
  errors?: { pointer: string; detail: string }[];
  names?: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Retry-After as delay-seconds or an HTTP-date (RFC 9110 §10.2.3), in ms; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

/** Full jitter (AWS architecture blog): uniform in [0, min(max, base·2^attempt)]. */
export function backoffMs(attempt: number, baseMs: number, maxMs: number, random = Math.random): number {
  return Math.floor(random() * Math.min(maxMs, baseMs * 2 ** attempt));
}

/** One line for a problem document: "detail (code, HTTP status, request id)". */
export function describeProblem(status: number, problem: Problem | undefined, fallback: string): string {
  if (!problem) return `HTTP ${status}: ${fallback.trim().slice(0, 200) || "no body"}`;
  let text = problem.detail || problem.title || `HTTP ${status}`;
  const fields = (problem.errors ?? []).map((e) => `${e.pointer}: ${e.detail}`).filter((f) => !text.includes(f));
  if (fields.length > 0) text += ` [${fields.join("; ")}]`;
  const tail = [problem.code, `HTTP ${status}`, problem.request_id ? `request ${problem.request_id}` : undefined].filter(Boolean).join(", ");
  return `${text} (${tail})`;
}

function parseProblem(res: { headers: Headers; text: string }): Problem | undefined {
  if (!/json/.test(res.headers.get("content-type") ?? "")) return undefined;
  try {
    const p = JSON.parse(res.text) as Problem;
    return typeof p === "object" && p !== null ? p : undefined;
  } catch {
    return undefined;
  }
}

export class ApiClient {
  private credential: Promise<string> | undefined;
  constructor(readonly options: ClientOptions) {}

  private bearer(): Promise<string> {
    const token = this.options.token;
    if (!token) throw new CliError("no credential: pass --token, --token-file or --id-token-file, or set EDGECA_TOKEN or EDGECA_ID_TOKEN (or run in GitHub Actions with id-token: write)", EXIT.usage);
    return (this.credential ??= typeof token === "string" ? Promise.resolve(token) : token());
  }

  /** Sends the request, retrying transient failures; a non-2xx answer becomes a CliError. */
  async request(path: string, o: RequestOptions = {}): Promise<Response> {
    const method = o.method ?? (o.body === undefined ? "GET" : "POST");
    const url = this.options.url.replace(/\/+$/, "") + path;
    const headers: Record<string, string> = { "user-agent": this.options.userAgent, accept: o.accept ?? "application/json" };
    if (o.body !== undefined) headers["content-type"] = "application/json";
    if (o.idempotencyKey) headers["idempotency-key"] = o.idempotencyKey;
    if (o.auth ?? true) {
      headers.authorization = `Bearer ${await this.bearer()}`;
    }
    const body = o.body === undefined ? undefined : JSON.stringify(o.body);
    for (let attempt = 0; ; attempt++) {
      let reason: string;
      let retryAfter: number | undefined;
      try {
        const res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout(this.options.timeoutMs), redirect: "error" });
        const text = await res.text();
        const response: Response = { status: res.status, headers: res.headers, text, json: <T>() => JSON.parse(text) as T };
        if (res.ok) return response;
        const problem = parseProblem(response);
        const message = describeProblem(res.status, problem, text);
        if (!(res.status >= 500 || res.status === 429) || attempt >= this.options.retries) {
          throw new CliError(message, EXIT.failed, { status: res.status, code: problem?.code, request_id: problem?.request_id, problem });
        }
        reason = message;
        retryAfter = retryAfterMs(res.headers.get("retry-after"));
      } catch (error) {
        if (error instanceof CliError) throw error;
        const e = error as Error & { cause?: { code?: string; message?: string } };
        reason = e.name === "TimeoutError" ? `no answer within ${this.options.timeoutMs} ms` : `${e.cause?.code ?? e.message}${e.cause?.message && e.cause.message !== e.cause.code ? `: ${e.cause.message}` : ""}`;
        if (attempt >= this.options.retries) {
          throw new CliError(`cannot reach ${this.options.url}: ${reason} (gave up after ${attempt + 1} attempt${attempt ? "s" : ""})`, EXIT.failed, { code: "network_error" });
        }
      }
      const jitter = backoffMs(attempt, this.options.baseDelayMs, this.options.maxDelayMs);
      if (retryAfter !== undefined && retryAfter > this.options.maxRetryAfterMs) {
        throw new CliError(`${reason}; the service asks to retry after ${Math.ceil(retryAfter / 1000)} s, longer than we wait`, EXIT.failed);
      }
      const delayMs = retryAfter !== undefined ? retryAfter + Math.floor(Math.random() * 250) : jitter;
      this.options.onRetry?.({ attempt: attempt + 1, delayMs, reason });
      await sleep(delayMs);
    }
  }
}
