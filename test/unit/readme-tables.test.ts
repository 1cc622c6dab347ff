/**
 * The reference tables in docs/ against the code they document, where features merged separately each
 * add a row: docs/api.md's Errors table holds every code of src/errors.ts with its status,
 * docs/identity.md's Tokens table every scope, and docs/deploy.md's Configuration section names every
 * setting (variable or secret) src/config.ts reads. (These tables lived in README.md before it became
 * a landing page; README.md still has to point at each of those files.)
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ERROR_TABLE } from "../../src/errors.ts";
import { SCOPES } from "../../src/store/types.ts";

const REPO = join(import.meta.dirname, "..", "..");
const read = (file: string) => readFileSync(join(REPO, file), "utf8");

/** The text of a section: from its heading to the next heading of the same or a higher level. */
function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n${heading}\n`);
  expect(start, `a "${heading}" section`).toBeGreaterThanOrEqual(0);
  const level = /^#+/.exec(heading)![0].length;
  const rest = markdown.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`^#{1,${level}} `, "m"));
  return end < 0 ? rest : rest.slice(0, end);
}

/** The rows `| \`first\` | second | …` of the tables in a section. */
function tableRows(markdown: string, heading: string): Map<string, string> {
  const rows = new Map<string, string>();
  for (const line of section(markdown, heading).split("\n")) {
    const m = /^\| `([a-z_]+)` \| ([^|]+) \|/.exec(line);
    if (m) rows.set(m[1]!, m[2]!.trim());
  }
  return rows;
}

describe("reference tables in docs/", () => {
  it("docs/api.md Errors lists every code of src/errors.ts with its status", () => {
    const rows = tableRows(read("docs/api.md"), "## Errors");
    for (const [code, { status }] of Object.entries(ERROR_TABLE)) expect(rows.get(code), code).toBe(String(status));
  });

  it("docs/identity.md Tokens lists every scope", () => {
    const rows = tableRows(read("docs/identity.md"), "## Tokens");
    for (const scope of SCOPES) expect(rows.has(scope), scope).toBe(true);
  });

  it("docs/deploy.md Configuration names every setting the worker reads", () => {
    const config = read("src/config.ts");
    const env = config.slice(config.indexOf("export interface Env"), config.indexOf("\n}", config.indexOf("export interface Env")));
    // Settings are the string variables and secrets; DB, ASSETS and the rate limiters are bindings.
    const settings = [...env.matchAll(/^\s+([A-Z][A-Z0-9_]+)\??: string;/gm)].map((m) => m[1]!);
    expect(settings).toEqual(expect.arrayContaining(["OIDC_TRUST", "CA_PREVIOUS_CERT", "CA_PREVIOUS_KEY", "ALERT_WEBHOOK_URL", "ALERT_WEBHOOK_SECRET", "ALERT_WITHIN"]));
    const configuration = section(read("docs/deploy.md"), "## Configuration");
    for (const name of settings) expect(configuration.includes(`\`${name}\``), name).toBe(true);
  });

  it("README.md leads to each reference", () => {
    const readme = read("README.md");
    for (const file of ["docs/api.md", "docs/identity.md", "docs/deploy.md", "docs/README.md"]) expect(readme, file).toContain(`](${file}`);
  });
});
