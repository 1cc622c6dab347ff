/**
 * The only renderer of errors: RFC 9457 application/problem+json with
 * type, title, status, detail, code, request_id and, for validation
 * failures, errors[{pointer, detail}]. Unknown exceptions become `internal`
 * with nothing on the wire but the request id; the log keeps the rest.
 */
import { ApiError, ERROR_TABLE, type ErrorCode } from "../errors.ts";
import { problemType } from "./problem-docs.ts";

/** `origin`: where the type's documentation is served (PUBLIC_URL or the request's origin, see problemType). */
export function problemBody(error: ApiError, requestId: string, origin: string): Record<string, unknown> {
  const entry = ERROR_TABLE[error.code];
  return {
    type: problemType(error.code, origin),
    title: entry.title,
    status: entry.status,
    ...(error.detail !== undefined ? { detail: error.detail } : {}),
    code: error.code,
    request_id: requestId,
    ...(error.options.errors ? { errors: error.options.errors } : {}),
    ...error.options.extensions,
  };
}

export function problemResponse(error: ApiError, requestId: string, origin: string): Response {
  const headers = new Headers({ "Content-Type": "application/problem+json", "Cache-Control": "no-store", "X-Request-Id": requestId });
  for (const [k, v] of Object.entries(error.options.headers ?? {})) headers.set(k, v);
  return new Response(JSON.stringify(problemBody(error, requestId, origin)), { status: error.status, headers });
}

/** Any thrown value → a problem response; non-ApiErrors are logged and hidden. */
export function renderThrown(thrown: unknown, requestId: string, origin: string): Response {
  if (thrown instanceof ApiError) return problemResponse(thrown, requestId, origin);
  // The message may come from a library; it is logged, never returned.
  console.error(JSON.stringify({ level: "error", request_id: requestId, error: thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown) }));
  return problemResponse(new ApiError("internal", `an internal error occurred; quote request id ${requestId} when reporting it`), requestId, origin);
}

export function apiError(code: ErrorCode, detail?: string): ApiError {
  return new ApiError(code, detail);
}
