/**
 * The webhook AlertSink: one JSON POST per alert. `text` is what Slack,
 * Mattermost and Teams incoming webhooks display (they ignore the other
 * members); `certificates` is for receivers that act on it.
 *
 * With a secret, the receiver can check origin and freshness:
 *   X-Edgeca-Timestamp: <Unix seconds>
 *   X-Edgeca-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>
 * (the timestamp is signed with the body, so a captured request cannot be
 * replayed later with a fresh timestamp; receivers reject old ones, e.g. > 5 min,
 * as Stripe's and Slack's own signing schemes do).
 *
 * The URL is a credential (a Slack webhook URL is all it takes to post):
 * failures are described without it, and redirects are not followed.
 */
import { toHex, utf8 } from "../pki/bytes.ts";
import type { AlertDelivery, AlertSink, ExpiryAlert } from "./types.ts";

export const SIGNATURE_HEADER = "X-Edgeca-Signature";
export const TIMESTAMP_HEADER = "X-Edgeca-Timestamp";
const TIMEOUT_MS = 10_000;

export async function signAlert(secret: string, timestamp: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", utf8(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return `sha256=${toHex(new Uint8Array(await crypto.subtle.sign("HMAC", key, utf8(`${timestamp}.${body}`))))}`;
}

export function webhookAlertSink(options: { url: string; secret: string | undefined; now?: () => Date }): AlertSink {
  return {
    async deliver(alert: ExpiryAlert): Promise<AlertDelivery> {
      const body = JSON.stringify(alert);
      const timestamp = String(Math.floor((options.now?.() ?? new Date()).getTime() / 1000));
      const headers: Record<string, string> = { "Content-Type": "application/json", "User-Agent": "edgeca-alerts", [TIMESTAMP_HEADER]: timestamp };
      if (options.secret) headers[SIGNATURE_HEADER] = await signAlert(options.secret, timestamp, body);
      let res: Response;
      try {
        res = await fetch(options.url, { method: "POST", headers, body, redirect: "manual", signal: AbortSignal.timeout(TIMEOUT_MS) });
      } catch (e) {
        // Runtime messages may quote the URL: only the error's kind is kept.
        const kind = e instanceof Error ? e.name : "Error";
        return { ok: false, status: null, reason: kind === "TimeoutError" ? `the webhook did not answer within ${TIMEOUT_MS / 1000} s` : `the webhook could not be reached (${kind})` };
      }
      await res.body?.cancel();
      if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
      return { ok: false, status: res.status, reason: res.status >= 300 && res.status < 400 ? `the webhook answered ${res.status}, a redirect (not followed)` : `the webhook answered ${res.status}` };
    },
  };
}
