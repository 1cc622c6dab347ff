/**
 * `npm run fuzz [-- --seconds 600] [--seed N]`: the hostile-input properties
 * of test/fuzz/properties.ts against the real worker over HTTP on loopback,
 * with a random seed (printed, so any failure reproduces), until the time is
 * up. Exits non-zero on the first 5xx, non-problem error or hang.
 */
import fc from "fast-check";
import { parseArgs } from "node:util";
import { checkOne, makeSamples, targets } from "../test/fuzz/properties.ts";
import { startRunningWorker } from "../test/helpers/running-worker.ts";
import { inlineTrust } from "../test/worker/oidc-helpers.ts";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "600" }, seed: { type: "string" } } });
const seconds = Number(values.seconds);
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
console.log(`fuzz: seed ${seed}, ${seconds} s (reproduce with: npm run fuzz -- --seed ${seed} --seconds ${seconds})`);

// An OIDC_TRUST policy for the fuzzed issuer, so JWT-shaped bearer values reach verification and policy code.
const worker = await startRunningWorker({ bindings: { OIDC_TRUST: (await inlineTrust()).OIDC_TRUST } });
const samples = await makeSamples();
const deadline = Date.now() + seconds * 1000;
let requests = 0;
let round = 0;
try {
  while (Date.now() < deadline) {
    for (const target of targets(samples)) {
      if (Date.now() >= deadline) break;
      await fc.assert(
        fc.asyncProperty(target.arbitrary, async (r) => {
          requests++;
          const problem = await checkOne((req) => fetch(req), worker.url, worker.authority.tokens.admin, r, 10_000, samples.acmeKey);
          if (problem) throw new Error(`${target.name}: ${r.method} ${r.path.slice(0, 200)} → ${problem}`);
        }),
        { seed: seed + round, numRuns: 50, endOnFailure: true },
      );
      round++;
    }
    process.stdout.write(`\rfuzz: ${requests} requests, no failure`);
  }
  console.log(`\nfuzz: done, ${requests} requests in ${seconds} s, no 5xx`);
} catch (e) {
  console.error(`\nfuzz: FAILED (seed ${seed}, round ${round}): ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
} finally {
  await worker.stop();
}
