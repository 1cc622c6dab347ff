/**
 * Contract: for every operation in openapi.yaml, real responses from the
 * running worker (success and each error class) validate against the
 * documented schema, by a JSON Schema validator (Ajv, 2020-12) reading the
 * committed document — not by re-using the zod objects, so a mismatch
 * between code and document is caught.
 */
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runScenarios, type ScenarioResult } from "../contract/scenarios.ts";
import { startRunningWorker, type RunningWorker } from "../helpers/running-worker.ts";
import { ERROR_TABLE } from "../../src/errors.ts";

interface Operation {
  operationId: string;
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

const doc = parse(readFileSync("openapi.yaml", "utf8")) as { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, unknown> } };
const operations = new Map<string, { path: string; method: string; op: Operation }>();
for (const [path, methods] of Object.entries(doc.paths)) for (const [method, op] of Object.entries(methods)) operations.set(op.operationId, { path, method, op });

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);
ajv.addFormat("binary", true);
// The whole document is one schema resource, so response schemas' "#/components/schemas/…" refs resolve in it.
ajv.addSchema({ ...doc, $id: "openapi" });

function pointerEscape(s: string): string {
  return s.replace(/~/g, "~0").replace(/\//g, "~1");
}

let worker: RunningWorker;
let results: ScenarioResult[];

beforeAll(async () => {
  worker = await startRunningWorker();
  results = await runScenarios(worker.url, worker.authority.tokens);
});
afterAll(async () => {
  await worker?.stop();
});

describe("openapi.yaml against real responses", () => {
  it("exercises every operation, with at least one success and one problem response each", () => {
    for (const id of operations.keys()) {
      const mine = results.filter((r) => r.operationId === id);
      expect(mine.some((r) => r.status < 400), `${id} success`).toBe(true);
      if (id !== "getHealth") expect(mine.some((r) => r.status >= 400), `${id} problem`).toBe(true);
    }
  });

  it("documents every status and media type the service answered with, and each body validates against its schema", () => {
    const failures: string[] = [];
    for (const r of results) {
      const entry = operations.get(r.operationId)!;
      const response = entry.op.responses[String(r.status)];
      if (!response) {
        failures.push(`${r.operationId}: status ${r.status} is not documented`);
        continue;
      }
      if (r.status === 304) continue;
      const media = response.content?.[r.mediaType];
      if (!media) {
        failures.push(`${r.operationId} ${r.status}: media type ${r.mediaType} is not documented`);
        continue;
      }
      if (r.mediaType === "application/gzip") {
        expect(gunzipSync(r.raw).length).toBeGreaterThan(1024);
        continue;
      }
      if (r.mediaType === "application/pkix-crl") continue;
      const ref = `openapi#/paths/${pointerEscape(entry.path)}/${entry.method}/responses/${r.status}/content/${pointerEscape(r.mediaType)}/schema`;
      const check = ajv.getSchema(ref) ?? ajv.compile({ $ref: ref });
      if (!check(r.body)) failures.push(`${r.operationId} ${r.status} ${r.mediaType}: ${ajv.errorsText(check.errors)}`);
    }
    expect(failures).toEqual([]);
  });

  it("rejects bodies that break the documented schema (the validator is not vacuous)", () => {
    const health = ajv.compile({ $ref: "openapi#/paths/~1healthz/get/responses/200/content/application~1json/schema" });
    expect(health({ status: "ok" })).toBe(false);
    const issued = ajv.compile({ $ref: "openapi#/paths/~1v1~1certificates/post/responses/201/content/application~1json/schema" });
    const good = results.find((r) => r.operationId === "issueCertificate" && r.status === 201 && r.mediaType === "application/json")!.body as Record<string, unknown>;
    expect(issued(good)).toBe(true);
    expect(issued({ ...good, unexpected: 1 })).toBe(false);
    expect(issued({ ...good, serial_number: 42 })).toBe(false);
  });

  it("lists exactly the error table's codes in the Problem schema", () => {
    const problem = doc.components.schemas["Problem"] as { properties: { code: { enum: string[] } } };
    expect([...problem.properties.code.enum].sort()).toEqual(Object.keys(ERROR_TABLE).sort());
  });
});
