/**
 * README.md against the code it documents, where features merged separately each add a row:
 * the Errors table holds every code of src/errors.ts with its status, the scopes table every scope,
 * and every setting (variable or secret) src/config.ts reads is named in the README.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ERROR_TABLE } from "../../src/errors.ts";
import { SCOPES } from "../../src/store/types.ts";

const REPO = join(import.meta.dirname, "..", "..");
const readme = readFileSync(join(REPO, "README.md"), "utf8");

/** The rows `| \`first\` | second | …` of the table under a heading. */
function tableRows(heading: string): Map<string, string> {
  const section = readme.slice(readme.indexOf(`\n${heading}\n`));
  const rows = new Map<string, string>();
  for (const line of section.split("\n").slice(2)) {
    if (/^#{1,3} /.test(line)) break;
    const m = /^\| `([a-z_]+)` \| ([^|]+) \|/.exec(line);
    if (m) rows.set(m[1]!, m[2]!.trim());
  }
  return rows;
}

describe("README tables", () => {
  it("Errors lists every code of src/errors.ts with its status", () => {
    const rows = tableRows("## Errors");
    for (const [code, { status }] of Object.entries(ERROR_TABLE)) expect(rows.get(code), code).toBe(String(status));
  });

  it("Tokens lists every scope", () => {
    const rows = tableRows("## Tokens");
    for (const scope of SCOPES) expect(rows.has(scope), scope).toBe(true);
  });

  it("names every setting the worker reads", () => {
    const config = readFileSync(join(REPO, "src", "config.ts"), "utf8");
    const env = config.slice(config.indexOf("export interface Env"), config.indexOf("\n}", config.indexOf("export interface Env")));
    // Settings are the string variables and secrets; DB, ASSETS and the rate limiters are bindings.
    const settings = [...env.matchAll(/^\s+([A-Z][A-Z0-9_]+)\??: string;/gm)].map((m) => m[1]!);
    expect(settings).toEqual(expect.arrayContaining(["OIDC_TRUST", "CA_PREVIOUS_CERT", "CA_PREVIOUS_KEY", "ALERT_WEBHOOK_URL", "ALERT_WEBHOOK_SECRET", "ALERT_WITHIN"]));
    for (const name of settings) expect(readme.includes(`\`${name}\``), name).toBe(true);
  });
});
