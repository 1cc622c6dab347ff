/**
 * The committed openapi.yaml is exactly what the code generates: changing a
 * schema in code without `npm run openapi` fails here.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { generateOpenApiYaml } from "../../scripts/openapi.ts";
import { ERROR_TABLE } from "../../src/errors.ts";

describe("openapi.yaml", () => {
  const committed = readFileSync("openapi.yaml", "utf8");

  it("equals what the code generates (run `npm run openapi` after changing a schema)", () => {
    expect(committed === generateOpenApiYaml()).toBe(true);
  });

  it("documents every route the app serves, with the scope each needs", () => {
    const doc = parse(committed) as { paths: Record<string, Record<string, { security?: { bearer?: string[] }[] }>> };
    const ops = Object.entries(doc.paths).flatMap(([p, m]) => Object.entries(m).map(([method, op]) => [`${method.toUpperCase()} ${p}`, op.security?.[0]?.bearer?.[0] ?? "public"]));
    expect(Object.fromEntries(ops)).toEqual({
      "POST /v1/certificates": "issue",
      "GET /v1/certificates": "read",
      "POST /v1/certificates/sign": "sign",
      "GET /v1/certificates/{serial}": "read",
      "POST /v1/certificates/{serial}/revoke": "revoke",
      "GET /v1/crl": "public",
      "GET /v1/ca": "public",
      "GET /v1/ca/status": "read",
      "POST /v1/verify": "verify",
      "GET /v1/audit": "admin",
      "GET /healthz": "public",
      "GET /metrics": "metrics",
      "POST /v1/acme/eab": "sign",
      "GET /v1/acme/accounts": "admin",
      "POST /v1/acme/accounts/{id}/deactivate": "admin",
    });
  });

  it("lists the error table's codes as the Problem code enum", () => {
    const doc = parse(committed) as { components: { schemas: { Problem: { properties: { code: { enum: string[] } } } } } };
    expect([...doc.components.schemas.Problem.properties.code.enum].sort()).toEqual(Object.keys(ERROR_TABLE).sort());
  });

  it("rejects unknown request fields in the schema, as the service does", () => {
    const doc = parse(committed) as { paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { $ref?: string; additionalProperties?: boolean } }> } }>> };
    const body = doc.paths["/v1/certificates"]!["post"]!.requestBody!.content["application/json"]!.schema;
    expect(body.additionalProperties).toBe(false);
  });
});
