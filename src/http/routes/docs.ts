/**
 * GET /openapi.yaml, GET /docs and GET /ui: the API description, its
 * interactive reference and the inventory page, from the Worker's static
 * assets (no CDN at run time).
 */
import { Hono, type Context } from "hono";
import { ApiError } from "../../errors.ts";
import type { AppEnv } from "../types.ts";

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
