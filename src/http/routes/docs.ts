/**
 * GET /openapi.yaml, GET /docs and GET /ui: the API description, its
 * interactive reference and the inventory page, from the Worker's static
 * assets (no CDN at run time); GET /docs/problems, the problem-type
 * documentation generated from the error table at build time (also a static
 * asset); GET /, an index of them.
 */
import { Hono, type Context } from "hono";
import { ApiError } from "../../errors.ts";
import { PROBLEM_DOCS_ASSET, PROBLEM_DOCS_PATH } from "../problem-docs.ts";
import { serviceOrigin } from "../context.ts";
import type { AppEnv } from "../types.ts";

/** The generated pages carry no script and only an inline style block. */
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** A browser asks for text/html first; curl sends Accept: *\/* and gets JSON. */
function wantsHtml(c: Context<AppEnv>): boolean {
  return /\btext\/html\b/i.test(c.req.header("Accept") ?? "");
}

/** The places a newcomer looks for first, in the order the index lists them. */
export const INDEX_LINKS = [
  { rel: "ui", path: "/ui/", title: "Inventory: what this CA issued, expiring soon, revoked" },
  { rel: "docs", path: "/docs/", title: "API reference (OpenAPI, interactive)" },
  { rel: "openapi", path: "/openapi.yaml", title: "OpenAPI description" },
  { rel: "problems", path: PROBLEM_DOCS_PATH, title: "Error codes: meaning and what to do" },
  { rel: "ca", path: "/v1/ca", title: "Trust bundle (ca.crt)" },
  { rel: "healthz", path: "/healthz", title: "Health, CA fingerprint and expiry" },
  { rel: "acme_directory", path: "/acme/directory", title: "ACME directory (RFC 8555)" },
] as const;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** Swagger UI needs inline styles and data: images; scripts and requests stay on this origin. */
export const DOCS_CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; font-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * The inventory page is our own code: no inline script or style, no data: URLs, and it may call
 * only this origin (it holds a bearer token, so nothing may carry it elsewhere).
 */
export const UI_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

async function asset(c: Context<AppEnv>, path: string): Promise<Response> {
  const assets = c.get("deps").http.assets;
  if (!assets) throw new ApiError("not_found", "static assets are not configured (npm start and npm run deploy build public/)");
  const res = await assets.fetch(new Request(new URL(path, c.req.url)));
  if (res.status === 404) throw new ApiError("not_found", `no asset ${path}`);
  const out = new Response(res.body, res);
  out.headers.set("Cache-Control", "public, max-age=300");
  return out;
}

export const docsRoutes = new Hono<AppEnv>()
  .get("/", (c) => {
    const base = serviceOrigin(c);
    c.header("Vary", "Accept");
    c.header("Cache-Control", "no-cache");
    if (!wantsHtml(c)) {
      return c.json({ service: "edgeca", links: Object.fromEntries(INDEX_LINKS.map((l) => [l.rel, `${base}${l.path}`])) });
    }
    c.header("Content-Security-Policy", PAGE_CSP);
    const items = INDEX_LINKS.map((l) => `<li><a href="${l.path}">${escapeHtml(l.path)}</a> — ${escapeHtml(l.title)}</li>`).join("\n");
    return c.html(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>edgeca</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}</style></head>
<body>
<h1>edgeca</h1>
<p>An online certificate authority for Kuma / Kong Mesh control planes.</p>
<ul>
${items}
</ul>
</body>
</html>
`);
  })
  .get(PROBLEM_DOCS_PATH, async (c) => {
    const json = !wantsHtml(c) && /\bjson\b/i.test(c.req.header("Accept") ?? "");
    const res = await asset(c, `/${json ? PROBLEM_DOCS_ASSET.json : PROBLEM_DOCS_ASSET.html}`);
    res.headers.set("Vary", "Accept");
    res.headers.set("Content-Type", json ? "application/json" : "text/html; charset=UTF-8");
    if (!json) res.headers.set("Content-Security-Policy", PAGE_CSP);
    return res;
  })
  .get("/openapi.yaml", async (c) => {
    const res = await asset(c, "/openapi.yaml");
    res.headers.set("Content-Type", "application/yaml; charset=utf-8");
    return res;
  })
  .get("/docs", (c) => c.redirect("/docs/", 301))
  .get("/docs/*", async (c) => {
    const path = new URL(c.req.url).pathname;
    const res = await asset(c, path === "/docs/" ? "/docs/index.html" : path);
    res.headers.set("Content-Security-Policy", DOCS_CSP);
    return res;
  })
  .get("/ui", (c) => c.redirect("/ui/", 301))
  .get("/ui/*", async (c) => {
    const path = new URL(c.req.url).pathname;
    const res = await asset(c, path === "/ui/" ? "/ui/index.html" : path);
    res.headers.set("Content-Security-Policy", UI_CSP);
    // The page is small and changes with each release; revalidate rather than serve a stale script.
    res.headers.set("Cache-Control", "no-cache");
    return res;
  });
