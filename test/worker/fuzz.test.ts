/**
 * Bounded property-based fuzzing of every endpoint inside workerd (fixed
 * seed, so a failure reproduces). `npm run fuzz` runs the same properties
 * for minutes over HTTP with a random seed.
 */
import fc from "fast-check";
import { env, exports } from "cloudflare:workers";
import worker from "../../src/index.ts";
import type { Env } from "../../src/config.ts";
import { beforeAll, describe, expect, it } from "vitest";
import { checkOne, makeSamples, targets, type Samples } from "../fuzz/properties.ts";
import { tokens } from "./helpers.ts";
import { inlineTrust } from "./oidc-helpers.ts";

const SEED = 20261128;
const RUNS = 40;

let samples: Samples;
let withTrust: Env;
beforeAll(async () => {
  samples = await makeSamples();
  // An OIDC_TRUST policy for FUZZ_OIDC_ISSUER, so JWT-shaped values reach verification and policy code.
  withTrust = { ...env, OIDC_TRUST: (await inlineTrust()).OIDC_TRUST } as Env;
});

describe("hostile input never gets a 5xx, a non-problem error or a hang", () => {
  it("holds for every endpoint", async () => {
    for (const target of targets(samples)) {
      await fc.assert(
        fc.asyncProperty(target.arbitrary, async (r) => {
          const send = async (req: Request) => (r.bearer !== undefined ? worker.fetch(req as never, withTrust) : exports.default.fetch(req));
          const problem = await checkOne(send, "http://edgeca.test", tokens.admin, r, 5_000, samples.acmeKey);
          expect(problem, `${target.name}: ${r.method} ${r.path.slice(0, 120)}`).toBeNull();
        }),
        { seed: SEED, numRuns: RUNS, endOnFailure: true },
      );
    }
  }, 240_000);
});
