/**
 * `npm run openapi:examples`: runs the real worker with a throwaway CA,
 * performs the contract scenarios, and records one request and one
 * response per (operation, status, media type) as docs/openapi-examples.json,
 * which `npm run openapi` puts into openapi.yaml.
 */
import { writeFileSync } from "node:fs";
import { runScenarios } from "../test/contract/scenarios.ts";
import { startRunningWorker } from "../test/helpers/running-worker.ts";

const worker = await startRunningWorker();
try {
  const results = await runScenarios(worker.url, worker.authority.tokens);
  const examples: Record<string, Record<string, unknown>> = {};
  for (const r of results) {
    const op = (examples[r.operationId] ??= {});
    if (r.request !== undefined && r.status < 300 && op["request"] === undefined) op["request"] = r.request;
    const key = `${r.status} ${r.mediaType}`;
    if (r.body !== undefined && op[key] === undefined && r.mediaType !== "application/gzip" && r.mediaType !== "application/pkix-crl") op[key] = r.body;
  }
  // Problem types name the origin that served them (an ephemeral loopback port here): show the documentation's example host instead.
  writeFileSync("docs/openapi-examples.json", JSON.stringify(examples, null, 2).replaceAll(`${worker.url}/docs/problems#`, "https://edgeca.example.com/docs/problems#") + "\n");
  console.log(`recorded examples for ${Object.keys(examples).length} operations in docs/openapi-examples.json`);
} finally {
  await worker.stop();
}
