/**
 * Problem types resolve (RFC 9457 §3.1.1): every code of the error table is
 * documented on /docs/problems, with an anchor the problem's `type` names,
 * its status, meaning and what to do; and GET / is an index, HTML for a
 * browser and JSON for curl.
 */
import { describe, expect, it } from "vitest";
import { ERROR_ADVICE, ERROR_TABLE, type ErrorCode } from "../../src/errors.ts";
import { call, callWithEnv, expectProblem, PROBLEM_ORIGIN, tokens } from "./helpers.ts";

const CODES = Object.keys(ERROR_TABLE) as ErrorCode[];
const decode = (s: string) => s.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));

/** The rows of the page: anchor id → cell texts. */
function rows(html: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of html.matchAll(/<tr id="([^"]+)">([\s\S]*?)<\/tr>/g)) {
    const cells = [...m[2]!.matchAll(/<td>([\s\S]*?)<\/td>/g)].map((c) => decode(c[1]!.replace(/<[^>]+>/g, "")));
    out.set(m[1]!, cells);
  }
  return out;
}

describe("GET /docs/problems", () => {
  it("documents every code of the error table, with its anchor, status, meaning and what to do", async () => {
    const res = await call("/docs/problems", { headers: { Accept: "text/html" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(res.headers.get("Content-Security-Policy")).toContain("default-src 'none'");
    const html = await res.text();
    const table = rows(html);
    expect([...table.keys()].sort()).toEqual([...CODES].sort());
    for (const code of CODES) {
      const [name, status, meaning, advice] = table.get(code)!;
      expect(name).toBe(code);
      expect(Number(status)).toBe(ERROR_TABLE[code].status);
      expect(meaning).toBe(ERROR_TABLE[code].title);
      expect(advice!.length, `${code} says what to do`).toBeGreaterThan(15);
      expect(advice).toBe(ERROR_ADVICE[code]);
    }
    // Anchors are unique: a fragment names exactly one row.
    expect(html.match(/ id="/g)!.length).toBe(CODES.length);
  });

  it("answers JSON to a client that asks for it", async () => {
    const res = await call("/docs/problems", { headers: { Accept: "application/json" } });
    const body = (await res.json()) as { problems: { code: string; status: number }[] };
    expect(body.problems.map((p) => p.code)).toEqual(CODES);
  });

  it("is where a real problem's type points: the fragment is an anchor on the page", async () => {
    const problem = await expectProblem(await call("/v1/certificates", { method: "POST", rawBody: "{", token: tokens.admin }), 400, "invalid_json");
    const type = new URL(problem.type);
    expect(type.origin).toBe(PROBLEM_ORIGIN);
    const page = await call(type.pathname, { headers: { Accept: "text/html" } });
    expect(page.status).toBe(200);
    expect(rows(await page.text()).has(type.hash.slice(1))).toBe(true);
    const unknown = await expectProblem(await call("/v1/nope"), 404, "not_found");
    expect(unknown.type).toBe(`${PROBLEM_ORIGIN}/docs/problems#not_found`);
  });

  it("uses PUBLIC_URL for the type when the operator set one", async () => {
    const res = await callWithEnv({ PUBLIC_URL: "https://ca.example.com/" }, "/v1/nope");
    const body = (await res.json()) as { type: string };
    expect(body.type).toBe("https://ca.example.com/docs/problems#not_found");
  });
});

describe("GET /", () => {
  it("gives a browser an HTML index linking the inventory, the docs, the trust bundle and health", async () => {
    const res = await call("/", { headers: { Accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
    expect(res.headers.get("Vary")).toContain("Accept");
    const html = await res.text();
    for (const href of ["/ui/", "/docs/", "/v1/ca", "/healthz", "/acme/directory", "/docs/problems"]) expect(html).toContain(`href="${href}"`);
  });

  it("gives curl (Accept: */*) a JSON index with absolute links that answer", async () => {
    const res = await call("/", { headers: { Accept: "*/*" } });
    expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
    const body = (await res.json()) as { service: string; links: Record<string, string> };
    expect(body.service).toBe("edgeca");
    expect(body.links).toMatchObject({ ui: `${PROBLEM_ORIGIN}/ui/`, docs: `${PROBLEM_ORIGIN}/docs/`, ca: `${PROBLEM_ORIGIN}/v1/ca`, healthz: `${PROBLEM_ORIGIN}/healthz` });
    for (const rel of ["ca", "healthz", "problems"]) {
      const linked = await call(new URL(body.links[rel]!).pathname);
      expect(linked.status, rel).toBe(200);
    }
  });
});
