/**
 * The interop harness's spawnAsync when the child exits without reading its
 * stdin: the write fails with EPIPE, which must be the child's exit status,
 * not an unhandled 'error' event that vitest reports as a failed run (the
 * flake of issue 20: cli-harness.ts `child.stdin.end()` after the child exited).
 * 4 MiB is far more than a pipe buffer holds, so the write is still pending
 * when the child is gone: EPIPE every time, not by chance.
 */
import { describe, expect, it } from "vitest";
import { spawnAsync } from "../interop/cli-harness.ts";

describe("spawnAsync", () => {
  it.each([1, 2, 3, 4, 5])("reports the exit of a child that never reads its stdin (run %i)", async () => {
    const r = await spawnAsync(process.execPath, ["-e", "process.stderr.write('bye'); process.exit(3)"], { input: "x".repeat(4 << 20), timeoutMs: 20_000 });
    expect(r).toEqual({ status: 3, stdout: "", stderr: "bye" });
  });

  it("still delivers stdin to a child that reads it", async () => {
    const r = await spawnAsync(process.execPath, ["-e", "let n = 0; process.stdin.on('data', (d) => (n += d.length)).on('end', () => process.stdout.write(String(n)))"], { input: "y".repeat(1 << 20), timeoutMs: 20_000 });
    expect(r).toEqual({ status: 0, stdout: String(1 << 20), stderr: "" });
  });
});
