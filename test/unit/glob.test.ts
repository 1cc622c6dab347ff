/**
 * Claim globs in linear time (issue 21 #6): a hostile value against a
 * many-star glob finishes in milliseconds, and every answer agrees with a
 * regular-expression reference on exhaustive small cases.
 */
import { describe, expect, it } from "vitest";
import { claimsMatch } from "../../src/authority/oidc-policy.ts";
import { parseTrustPolicies, type TrustPolicy } from "../../src/config/oidc-trust.ts";
import { compileGlob } from "../../src/pki/glob.ts";
import { rng as seeded } from "../helpers/rng.ts";

/** The reference: `*` as `.*`, everything else literal (the old implementation; fine for short values). */
function reference(glob: string, value: string): boolean {
  return new RegExp(`^${glob.split("*").map((part) => part.replace(/[\\^$.*+?()[\]{}|/-]/g, "\\$&")).join(".*")}$`, "s").test(value);
}

describe("compileGlob", () => {
  it.each([
    ["refs/heads/main", "refs/heads/main", true],
    ["refs/heads/main", "refs/heads/mainx", false],
    ["refs/tags/v*", "refs/tags/v1.2.3", true],
    ["refs/tags/v*", "refs/tags/v", true],
    ["refs/tags/v*", "refs/heads/v1", false],
    ["repo:example/*:ref:refs/heads/*", "repo:example/infra:ref:refs/heads/feature/x", true],
    ["repo:example/*:ref:refs/heads/*", "repo:other/infra:ref:refs/heads/main", false],
    ["*", "", true],
    ["**", "anything/at:all", true],
    ["a*a", "a", false],
    ["a*a", "aa", true],
    ["*ab*ab*", "abab", true],
    ["*ab*ab*", "aba", false],
    ["x.*", "x.", true],
    ["[a]*", "[a]b", true],
    ["[a]*", "ab", false],
  ])("%s against %s → %s", (glob, value, expected) => {
    expect(compileGlob(glob).test(value)).toBe(expected);
    expect(reference(glob, value)).toBe(expected);
  });

  it("agrees with the reference on every glob and value over {a, b, *} up to length 6 and 7", () => {
    const words = (alphabet: string, max: number): string[] => {
      const out = [""];
      for (let len = 1, layer = [""]; len <= max; len++) {
        layer = layer.flatMap((w) => [...alphabet].map((c) => w + c));
        out.push(...layer);
      }
      return out;
    };
    const globs = words("ab*", 6);
    const values = words("ab", 7);
    let checked = 0;
    for (const glob of globs) {
      const g = compileGlob(glob);
      for (const value of values) {
        if (g.test(value) !== reference(glob, value)) throw new Error(`${JSON.stringify(glob)} vs ${JSON.stringify(value)}`);
        checked++;
      }
    }
    expect(checked).toBe(globs.length * values.length);
  });

  it("agrees with the reference on random longer globs and values", () => {
    const rng = seeded(21);
    const pick = (alphabet: string, n: number) => Array.from({ length: n }, () => alphabet[Math.floor(rng() * alphabet.length)]).join("");
    for (let i = 0; i < 2000; i++) {
      const glob = pick("ab-/*", 1 + Math.floor(rng() * 12));
      const value = pick("ab-/", Math.floor(rng() * 24));
      expect(compileGlob(glob).test(value), `${glob} vs ${value}`).toBe(reference(glob, value));
    }
  });

  it("matches a 10,000-character value against a 10-star glob in milliseconds", () => {
    const glob = "refs/heads/*-*-*-*-*-*-*-*-*-*-x";
    expect(glob.split("*").length - 1).toBe(10);
    const hostile = `refs/heads/${"-".repeat(10_000)}`;
    const g = compileGlob(glob);
    const t0 = performance.now();
    expect(g.test(hostile)).toBe(false);
    expect(g.test(`${hostile}x`)).toBe(true);
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeLessThan(50);
  });

  it("keeps a trust policy's claim conditions fast on a hostile claim value", () => {
    const policies = parseTrustPolicies(
      JSON.stringify([{ name: "gh", issuer: "https://token.actions.githubusercontent.com", audience: "a", claims: { ref: "refs/heads/*-*-*-*-*-*-*-*-*-*-x" }, scopes: ["issue"], allow: ["*.example.com"] }]),
    ) as TrustPolicy[];
    const t0 = performance.now();
    expect(claimsMatch(policies[0]!.claims, { ref: `refs/heads/${"-".repeat(10_000)}` })).toBe(false);
    expect(performance.now() - t0).toBeLessThan(50);
  });
});
