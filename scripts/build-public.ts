/**
 * Lays out public/ (git-ignored), the Worker's static assets: the API
 * reference page (static/docs), Swagger UI from node_modules/swagger-ui-dist
 * (served by the worker itself, never from a CDN), and openapi.yaml.
 * Runs on `npm start`, `npm run deploy`, `npm run openapi`, at the start of
 * every vitest run (vitest.config.ts) and of `npm run bench`. Not on
 * `npm install`: a `prepare` script would ship in the CLI's package, where
 * npm lists it as an install script to approve.
 */
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export function buildPublic(root = "."): void {
  const out = join(root, "public");
  mkdirSync(join(out, "docs"), { recursive: true });
  const swagger = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  for (const f of ["swagger-ui-bundle.js", "swagger-ui.css"]) copyFileSync(join(swagger, f), join(out, "docs", f));
  for (const f of ["index.html", "init.js"]) copyFileSync(join(root, "static", "docs", f), join(out, "docs", f));
  copyFileSync(join(root, "openapi.yaml"), join(out, "openapi.yaml"));
}

if (process.argv[1]?.endsWith("build-public.ts")) {
  buildPublic();
  console.log("public/ ready (API reference and openapi.yaml)");
}
