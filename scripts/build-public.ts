/**
 * Lays out public/ (git-ignored), the Worker's static assets: the API
 * reference page (static/docs), Swagger UI from node_modules/swagger-ui-dist
 * (served by the worker itself, never from a CDN), openapi.yaml, and the
 * inventory page (static/ui, copied as written: plain ES modules, no build),
 * and the problem-type documentation (/docs/problems, HTML and JSON) rendered
 * from src/errors.ts here rather than in the worker, so the advice text is
 * not in the worker's bundle (issue 19's 120 KiB budget).
 * Runs on `npm start`, `npm run deploy`, `npm run openapi`, at the start of
 * every vitest run (vitest.config.ts) and of `npm run bench`. Not on
 * `npm install`: a `prepare` script would ship in the CLI's package, where
 * npm lists it as an install script to approve.
 */
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { PROBLEM_DOCS_ASSET, problemCatalogue, problemDocsHtml } from "../src/http/problem-docs.ts";

export function buildPublic(root = "."): void {
  const out = join(root, "public");
  mkdirSync(join(out, "docs"), { recursive: true });
  const swagger = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  for (const f of ["swagger-ui-bundle.js", "swagger-ui.css"]) copyFileSync(join(swagger, f), join(out, "docs", f));
  for (const f of ["index.html", "init.js"]) copyFileSync(join(root, "static", "docs", f), join(out, "docs", f));
  copyFileSync(join(root, "openapi.yaml"), join(out, "openapi.yaml"));
  writeFileSync(join(out, PROBLEM_DOCS_ASSET.html), problemDocsHtml());
  writeFileSync(join(out, PROBLEM_DOCS_ASSET.json), JSON.stringify({ problems: problemCatalogue() }));
  mkdirSync(join(out, "ui"), { recursive: true });
  for (const f of readdirSync(join(root, "static", "ui"))) copyFileSync(join(root, "static", "ui", f), join(out, "ui", f));
}

if (process.argv[1]?.endsWith("build-public.ts")) {
  buildPublic();
  console.log("public/ ready (API reference, openapi.yaml, problem types, inventory page)");
}
