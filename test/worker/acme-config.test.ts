/**
 * ACME and the configuration layer (issue 20): a wrong setting is a 503 naming the variable and
 * what to do, on /v1/acme/eab (config_invalid) and on /acme/* (an RFC 8555 serverInternal problem).
 */
import { describe, expect, it } from "vitest";
import { callWithEnv, expectProblem, tokens } from "./helpers.ts";
import { expectAcmeProblem } from "./acme-helpers.ts";

/** A 503 serverInternal problem without STORE_KEY's nonces (nothing to mint them with). */
async function keylessProblem(res: Response): Promise<{ type: string; code?: string; detail: string }> {
  expect([res.status, res.headers.get("Content-Type")]).toEqual([503, "application/problem+json"]);
  const body = (await res.json()) as { type: string; code?: string; detail: string };
  expect(body.type).toBe("urn:ietf:params:acme:error:serverInternal");
  return body;
}

describe("ACME settings checked by the configuration layer", () => {
  it("names a malformed STORE_KEY as malformed, not as missing", async () => {
    const bad = { STORE_KEY: "c2hvcnQ=" };
    const p = await expectProblem(await callWithEnv(bad, "/v1/acme/eab", { method: "POST", token: tokens.zoneA }), 503, "config_invalid");
    expect(p.detail).toContain("STORE_KEY must be 32 bytes");
    expect(p.detail).not.toContain("c2hvcnQ");
    // The same on /acme/*: the ACME type, edgeca's code, the configuration layer's message.
    const problem = await keylessProblem(await callWithEnv(bad, "/acme/directory"));
    expect(problem).toMatchObject({ code: "config_invalid", detail: expect.stringContaining("STORE_KEY must be 32 bytes") as unknown });
    expect(problem.detail).not.toMatch(/needs STORE_KEY|c2hvcnQ/);
  });

  it("says STORE_KEY is needed when it is unset, on the API and the directory", async () => {
    const none = { STORE_KEY: undefined };
    const p = await expectProblem(await callWithEnv(none, "/v1/acme/eab", { method: "POST", token: tokens.zoneA }), 503, "config_invalid");
    expect(p.detail).toMatch(/ACME needs STORE_KEY/);
    const problem = await keylessProblem(await callWithEnv(none, "/acme/directory"));
    expect(problem).toMatchObject({ code: "config_invalid", detail: expect.stringMatching(/ACME needs STORE_KEY/) as unknown });
  });

  it("names a wrong ACME_* duration on both", async () => {
    const bad = { ACME_ORDER_TTL: "soon" };
    const p = await expectProblem(await callWithEnv(bad, "/v1/acme/eab", { method: "POST", token: tokens.zoneA }), 503, "config_invalid");
    expect(p.detail).toContain("ACME_ORDER_TTL");
    const problem = await expectAcmeProblem(await callWithEnv(bad, "/acme/directory"), 503, "serverInternal");
    expect(problem).toMatchObject({ code: "config_invalid", detail: expect.stringContaining("ACME_ORDER_TTL") as unknown });
  });
});
