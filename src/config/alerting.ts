/**
 * Expiry alerting: ALERT_WEBHOOK_URL (a secret), ALERT_WEBHOOK_SECRET (a
 * secret) and ALERT_WITHIN, checked once per isolate for the same values.
 * Messages never quote the URL: it is a secret (a Slack webhook URL is its own credential).
 */
import { parseDuration } from "../pki/duration.ts";

export interface AlertConfig {
  webhookUrl: string;
  secret: string | undefined;
  withinSeconds: number;
}

/** The variables read here (a subset of Env). */
export interface AlertVariables {
  ALERT_WEBHOOK_URL?: string | undefined;
  ALERT_WEBHOOK_SECRET?: string | undefined;
  ALERT_WITHIN?: string | undefined;
}

export const DEFAULT_ALERT_WITHIN = "14d";

/** Loopback hosts, the only ones alerts may reach over plain http (a local receiver, tests). */
function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

let cached: { key: (string | undefined)[]; value: AlertConfig | string | null } | undefined;

/**
 * The expiry-alert settings: null when ALERT_WEBHOOK_URL is unset (alerts off), a message when
 * something is wrong. The same object for the same values, so what is built on it can be shared.
 */
export function loadAlertConfig(vars: AlertVariables): AlertConfig | string | null {
  const key = [vars.ALERT_WEBHOOK_URL, vars.ALERT_WEBHOOK_SECRET, vars.ALERT_WITHIN];
  if (cached && cached.key.every((v, i) => v === key[i])) return cached.value;
  const value = checkAlertConfig(vars);
  cached = { key, value };
  return value;
}

function checkAlertConfig(vars: AlertVariables): AlertConfig | string | null {
  const url = vars.ALERT_WEBHOOK_URL?.trim();
  if (!url) return null;
  const within = parseDuration(vars.ALERT_WITHIN?.trim() || DEFAULT_ALERT_WITHIN);
  if (!within.ok) return `ALERT_WITHIN is not a duration such as "14d": ${JSON.stringify(vars.ALERT_WITHIN)}`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "ALERT_WEBHOOK_URL is not a URL";
  }
  if (parsed.username || parsed.password) return "ALERT_WEBHOOK_URL must not carry credentials in its authority part";
  if (parsed.protocol !== "https:" && !(parsed.protocol === "http:" && isLoopback(parsed.hostname))) {
    return "ALERT_WEBHOOK_URL must be an https URL (plain http only to a loopback address)";
  }
  return { webhookUrl: parsed.href, secret: vars.ALERT_WEBHOOK_SECRET || undefined, withinSeconds: within.value };
}
