/** `promtool check metrics` (Debian package prometheus), for the Node test tiers. */
import { spawnSync } from "node:child_process";

/** Its verdict and output on `text`, or null when promtool is not installed. */
export function promtool(text: string): { ok: boolean; output: string } | null {
  const which = spawnSync("sh", ["-c", "command -v promtool"], { encoding: "utf8" });
  if (which.status !== 0) return null;
  const run = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
  return { ok: run.status === 0, output: `${run.stdout}${run.stderr}` };
}
