/**
 * Use case: the expiry alert of a scheduled run. Certificates at risk
 * (active, not renewed) that expire within ALERT_WITHIN and were not alerted
 * today (UTC) go out in one message; once delivered they are recorded for
 * the day, so a cron every minute still alerts each at most once a day. A
 * failed delivery records nothing (the next run retries), is logged without
 * the URL and is audited.
 */
import type { AlertSink, AtRiskCertificate, AuditEvent, AuditLog, ExpiryAlert, ExpiryAlertLog } from "../store/types.ts";

/** The most certificates one message lists; the rest follow on the next run. */
export const MAX_ALERTED = 100;
const DAY_MS = 86_400_000;

export interface ExpiryAlertContext {
  alerts: ExpiryAlertLog;
  sink: AlertSink;
  audit: AuditLog;
  now: Date;
  withinSeconds: number;
  /** Names this run in the log and the audit trail. */
  runId: string;
}

export type ExpiryAlertOutcome = { sent: number; more: boolean } | { failed: number; reason: string };

function describeWithin(seconds: number): string {
  return seconds % 86_400 === 0 ? `${seconds / 86_400} days` : `${Math.round(seconds / 3600)} hours`;
}

/**
 * Slack's "Escaping text" rule for mrkdwn: &, < and > become &amp;, &lt;, &gt;,
 * so a caller-chosen value (an OIDC `sub` is a branch name, and `<!channel>`
 * is a valid one) can never become a mention, a link or a command. Mattermost
 * and Teams' Slack-compatible webhooks read the same entities.
 */
export function escapeSlackText(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function alertMessage(due: AtRiskCertificate[], now: Date, withinSeconds: number, more: boolean): ExpiryAlert {
  const certificates = due.map((c) => ({
    serial: c.serial,
    names: c.hostnames,
    not_after: c.not_after,
    principal: c.token_name,
    // An OIDC trust policy stands for many workloads (every repository ref, every namespace): its `sub` says which one to chase.
    ...(c.principal_subject !== null ? { subject: c.principal_subject } : {}),
    days_left: Math.max(0, Math.floor((Date.parse(c.not_after) - now.getTime()) / DAY_MS)),
  }));
  // Every recorded value is escaped in the text; the JSON `certificates` keep them raw, for programs.
  const e = escapeSlackText;
  const holder = (c: (typeof certificates)[number]) => (c.subject === undefined ? `token ${e(c.principal)}` : `trust policy ${e(c.principal)} (sub ${e(c.subject)})`);
  const lines = certificates.map(
    (c) =>
      `• ${e(c.names.join(", "))}: expires ${e(c.not_after.slice(0, 16).replace("T", " "))} UTC (${c.days_left === 0 ? "today" : `in ${c.days_left} day${c.days_left === 1 ? "" : "s"}`}), serial ${e(c.serial)}, ${holder(c)}`,
  );
  const one = certificates.length === 1 && !more;
  const text = [
    `:warning: edgeca: ${certificates.length}${more ? "+" : ""} certificate${one ? " expires" : "s expire"} within ${describeWithin(withinSeconds)} and no renewal was issued:`,
    ...lines,
    ...(more ? [`…and more: GET /v1/certificates?renewed=false&expiring_within=${Math.ceil(withinSeconds / 86_400)}d lists them all.`] : []),
  ].join("\n");
  return { text, certificates };
}

function auditOf(ctx: ExpiryAlertContext, status: number, failure: boolean): AuditEvent {
  return {
    at: ctx.now.toISOString(),
    event: "alert",
    outcome: failure ? "failure" : "success",
    status,
    code: failure ? "alert_delivery_failed" : null,
    token_name: null,
    principal_subject: null,
    client_address: null,
    method: "POST",
    // Never the URL (a credential): the audit trail is readable with the admin scope.
    path: "alert-webhook",
    serial: null,
    request_id: ctx.runId,
  };
}

export async function sendExpiryAlerts(ctx: ExpiryAlertContext): Promise<ExpiryAlertOutcome | null> {
  const day = ctx.now.toISOString().slice(0, 10);
  const due = await ctx.alerts.due({
    now: ctx.now.toISOString(),
    before: new Date(ctx.now.getTime() + ctx.withinSeconds * 1000).toISOString(),
    day,
    limit: MAX_ALERTED + 1,
  });
  if (due.length === 0) return null;
  const more = due.length > MAX_ALERTED;
  const listed = due.slice(0, MAX_ALERTED);
  const delivery = await ctx.sink.deliver(alertMessage(listed, ctx.now, ctx.withinSeconds, more));
  if (!delivery.ok) {
    console.error(JSON.stringify({ level: "error", run_id: ctx.runId, error: `expiry alert not delivered, retried on the next run: ${delivery.reason}`, certificates: listed.length }));
    await ctx.audit.append(auditOf(ctx, delivery.status ?? 0, true));
    return { failed: listed.length, reason: delivery.reason };
  }
  await ctx.alerts.markAlerted(
    listed.map((c) => c.serial),
    day,
    ctx.now.toISOString(),
  );
  await ctx.audit.append(auditOf(ctx, delivery.status, false));
  return { sent: listed.length, more };
}
