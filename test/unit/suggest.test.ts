/** closestName: the "did you mean" guess for a misspelt request field. */
import { describe, expect, it } from "vitest";
import { closestName } from "../../src/http/suggest.ts";

const ISSUE_FIELDS = ["hostnames", "purpose", "product", "usage", "key", "ttl", "common_name"];

describe("closestName", () => {
  it.each([
    ["hostname", "hostnames"],
    ["hostnmes", "hostnames"],
    ["commonName", "common_name"],
    ["common-name", "common_name"],
    ["TTL", "ttl"],
    ["purpse", "purpose"],
    ["products", "product"],
  ])("%s → %s", (given, expected) => expect(closestName(given, ISSUE_FIELDS)).toBe(expected));

  it.each(["validity", "names", "k", "x", "ca", "alg", "not_after"])("no guess for %s (nothing close enough)", (given) => {
    expect(closestName(given, ISSUE_FIELDS)).toBeUndefined();
  });

  it("makes no guess when two names are equally close", () => {
    expect(closestName("ab", ["aa", "bb"])).toBeUndefined();
  });
});
