/**
 * Workload identity for the CLI: the OIDC ID token to send instead of an API
 * token. From --id-token-file (a Kubernetes projected service-account token,
 * re-read on every run because the kubelet rotates it) or EDGECA_ID_TOKEN
 * (GitLab CI `id_tokens:`), or, inside GitHub Actions with `id-token: write`,
 * requested from the Actions runtime for the audience: GET
 * $ACTIONS_ID_TOKEN_REQUEST_URL&audience=… with
 * `Authorization: Bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN`, answering
 * {"value": "<jwt>"} (as @actions/core getIDToken does).
 */
import { CliError, EXIT } from "./errors.ts";

/** Requests an ID token for `audience` from the GitHub Actions runtime. */
export async function githubActionsIdToken(env: NodeJS.ProcessEnv, audience: string, timeoutMs = 30_000): Promise<string> {
  const requestUrl = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!requestUrl || !requestToken) {
    throw new CliError("ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN are not set: give the job `permissions: id-token: write`", EXIT.usage);
  }
  // The runtime's URL already carries a query (api-version), so the audience is appended with "&".
  const url = `${requestUrl}${requestUrl.includes("?") ? "&" : "?"}audience=${encodeURIComponent(audience)}`;
  let res: Response;
  try {
    res = await fetch(url, { headers: { Authorization: `Bearer ${requestToken}`, Accept: "application/json" }, signal: AbortSignal.timeout(timeoutMs), redirect: "error" });
  } catch (error) {
    throw new CliError(`cannot get an ID token from the GitHub Actions runtime: ${(error as Error).message}`, EXIT.failed, { code: "id_token_unavailable" });
  }
  const text = await res.text();
  let value: unknown;
  try {
    value = (JSON.parse(text) as { value?: unknown }).value;
  } catch {
    value = undefined;
  }
  if (!res.ok || typeof value !== "string" || value === "") {
    // The body is not echoed: it may hold a token.
    throw new CliError(`the GitHub Actions runtime did not issue an ID token (HTTP ${res.status})`, EXIT.failed, { code: "id_token_unavailable" });
  }
  return value;
}

/** Whether a GitHub Actions ID token can be requested (the job has `id-token: write`). */
export function inGithubActionsWithIdToken(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.ACTIONS_ID_TOKEN_REQUEST_URL && env.ACTIONS_ID_TOKEN_REQUEST_TOKEN);
}
