/** humanDuration: spans in messages read in days where days are meant ("129599m" was a renew message). */
import { describe, expect, it } from "vitest";
import { formatDuration, humanDuration } from "../../src/pki/duration.ts";

describe("humanDuration", () => {
  it.each([
    [129_599 * 60, "89 days"],
    [90 * 86400, "90 days"],
    [2 * 86400, "2 days"],
    [36 * 3600, "36 hours"],
    [5 * 3600 + 59, "5 hours"],
    [7200, "2 hours"],
    [7199, "119 minutes"],
    [300, "5 minutes"],
    [119, "119 seconds"],
    [1, "1 second"],
    [0, "0 seconds"],
    [-5, "0 seconds"],
  ])("%d s → %s", (seconds, text) => expect(humanDuration(seconds)).toBe(text));

  it("leaves formatDuration (values to pass back, e.g. --ttl) as it was", () => {
    expect(formatDuration(129_599 * 60)).toBe("129599m");
  });
});
