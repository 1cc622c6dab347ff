// The inventory page's only way out: same-origin calls to edgeca's public API with the bearer token,
// and errors turned into one readable message from the RFC 9457 problem document.

/** A failed call: an HTTP status with its problem document, or a network failure (status 0). */
export class ApiFailure extends Error {
  constructor(status, problem, message) {
    super(message);
    this.status = status;
    this.problem = problem;
  }

  /** A heading for the page's alert. */
  get title() {
    if (this.status === 0) return "Network error";
    if (this.status === 401) return "Token refused (401)";
    if (this.status === 403) return "Not allowed (403)";
    return `${this.problem?.title ?? "Request failed"} (${this.status})`;
  }

  /** Code and request id, for a bug report. */
  get meta() {
    return [this.problem?.code, this.problem?.request_id ? `request ${this.problem.request_id}` : undefined].filter(Boolean).join(" · ");
  }
}

async function problemOf(res) {
  if (!/json/.test(res.headers.get("content-type") ?? "")) return undefined;
  try {
    return await res.json();
  } catch {
    return undefined;
  }
}

/**
 * fetch() on this origin. `auth` adds the bearer token; a non-2xx answer or a network failure throws
 * ApiFailure. The URL is always relative, so the token can only ever go to the origin that served the page.
 */
export async function call(path, { token, method = "GET", body, accept = "application/json" } = {}) {
  if (!path.startsWith("/")) throw new Error("API paths are relative to this origin");
  const headers = { Accept: accept };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "omit", cache: "no-store", redirect: "error" });
  } catch (error) {
    throw new ApiFailure(0, undefined, `cannot reach the service: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!res.ok) {
    const problem = await problemOf(res);
    const fields = (problem?.errors ?? []).map((e) => `${e.pointer}: ${e.detail}`).join("; ");
    throw new ApiFailure(res.status, problem, [problem?.detail ?? `HTTP ${res.status}`, fields].filter(Boolean).join(" — "));
  }
  return accept === "application/json" ? res.json() : res.text();
}

/** GET /v1/certificates with the page's filters; `renewed` is sent as well (older services ignore it). */
export function listCertificates(token, { hostname, principal, subject, status, renewed, expiringWithin, limit = 50, cursor } = {}) {
  const q = new URLSearchParams();
  if (hostname) q.set("hostname", hostname);
  if (principal) q.set("token", principal);
  // An OIDC caller is its trust policy's name (token=) and its sub (subject=).
  if (subject) q.set("subject", subject);
  if (status) q.set("status", status);
  if (renewed !== undefined) q.set("renewed", String(renewed));
  if (expiringWithin) q.set("expiring_within", expiringWithin);
  q.set("limit", String(limit));
  if (cursor) q.set("cursor", cursor);
  return call(`/v1/certificates?${q}`, { token });
}

export const getCertificate = (token, serial) => call(`/v1/certificates/${encodeURIComponent(serial)}`, { token });

export const revokeCertificate = (token, serial, reason) => call(`/v1/certificates/${encodeURIComponent(serial)}/revoke`, { token, method: "POST", body: { reason } });

export const trustBundle = () => call("/v1/ca?format=json");

export const health = () => call("/healthz");
