/**
 * Durations as pipelines write them: Go-style units plus days
 * ("720h", "90d", "1d12h", "45m"). Returned in whole seconds.
 */
import { err, ok, type Result } from "./result.ts";

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Parses a duration; rejects empty, zero, fractional or unit-less values. */
export function parseDuration(text: string): Result<number, "invalid_duration"> {
  if (typeof text !== "string" || !/^(\d{1,9}[smhd])+$/.test(text)) return err("invalid_duration");
  let seconds = 0;
  for (const m of text.matchAll(/(\d+)([smhd])/g)) seconds += Number(m[1]) * UNIT_SECONDS[m[2]!]!;
  return seconds > 0 && Number.isSafeInteger(seconds) ? ok(seconds) : err("invalid_duration");
}

/** Formats seconds as the largest exact unit ("397d", "36h", "90m"). */
export function formatDuration(seconds: number): string {
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["m", 60]] as const) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

/**
 * Seconds as a person reads a span, in the largest unit that gives at least 2 of it, rounded down:
 * "90 days", "36 hours", "5 minutes", "1 second". For messages; formatDuration is for values to pass back.
 */
export function humanDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  for (const [unit, size] of [["day", 86400], ["hour", 3600], ["minute", 60]] as const) {
    if (s >= 2 * size) return `${Math.floor(s / size)} ${unit}s`;
  }
  return `${s} second${s === 1 ? "" : "s"}`;
}
