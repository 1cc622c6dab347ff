/**
 * Prometheus' own promtool, when the machine has it (Debian package prometheus; npm has no build of
 * it). Optional: the Node test tiers always check /metrics with the strict exposition reader
 * (prometheus.ts); the checks that only promtool can make are skipped, and reported as skipped,
 * where it is absent.
 */
import { spawnSync } from "node:child_process";

export const HAS_PROMTOOL = spawnSync("sh", ["-c", "command -v promtool"], { encoding: "utf8" }).status === 0;

/** `promtool check metrics` on `text`: its verdict and output, or null when promtool is not installed. */
export function promtool(text: string): { ok: boolean; output: string } | null {
  if (!HAS_PROMTOOL) return null;
  const run = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}` };
}
