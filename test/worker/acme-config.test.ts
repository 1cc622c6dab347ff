/**
 * ACME and the configuration layer (issue 20): a wrong setting is a 503 naming the variable and
 * what to do, on /v1/acme/eab (config_invalid) and on /acme/* (an RFC 8555 serverInternal problem).
 */
import { describe, expect, it } from "vitest";
import { callWithEnv, expectProblem, tokens } from "./helpers.ts";
import { expectAcmeProblem } from "./acme-helpers.ts";

describe("ACME settings checked by the configuration layer", () => {
  it("names a malformed STORE_KEY as malformed, not as missing", async () => {
    const bad = { STORE_KEY: "c2hvcnQ=" };
    const p = await expectProblem(await callWithEnv(bad, "/v1/acme/eab", { method: "POST", token: tokens.zoneA }), 503, "config_invalid");
    expect(p.detail).toContain("STORE_KEY must be 32 bytes");
    expect(p.detail).not.toContain("c2hvcnQ");
  });

  it("says STORE_KEY is needed when it is unset, on the API and the directory", async () => {
    const none = { STORE_KEY: undefined };
    const p = await expectProblem(await callWithEnv(none, "/v1/acme/eab", { method: "POST", token: tokens.zoneA }), 503, "config_invalid");
    expect(p.detail).toMatch(/ACME needs STORE_KEY/);
    const res = await callWithEnv(none, "/acme/directory");
    expect(res.status).toBe(503);
    expect(((await res.json()) as { detail: string }).detail).toMatch(/ACME needs STORE_KEY/);
  });

  it("names a wrong ACME_* duration on both", async () => {
    const bad = { ACME_ORDER_TTL: "soon" };
    const p = await expectProblem(await callWithEnv(bad, "/v1/acme/eab", { method: "POST", token: tokens.zoneA }), 503, "config_invalid");
    expect(p.detail).toContain("ACME_ORDER_TTL");
    const problem = await expectAcmeProblem(await callWithEnv(bad, "/acme/directory"), 503, "serverInternal");
    expect(problem.detail).toContain("ACME_ORDER_TTL");
  });
});
