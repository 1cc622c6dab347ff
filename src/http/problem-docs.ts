/**
 * The problem-type documentation every problem document's `type` points at
 * (RFC 9457 §3.1.1: a type URI should resolve to human-readable documentation
 * for the problem type), generated from the one error table so it cannot
 * drift: each code is a row with an anchor (`#<code>`), its status, what it
 * means and what to do. The page and its JSON are rendered at build time
 * (scripts/build-public.ts) into the static assets and the worker serves
 * them (src/http/routes/docs.ts): only `problemType` runs in the worker, so
 * the advice text stays out of its bundle.
 */
import { ERROR_ADVICE, ERROR_TABLE, type ErrorCode } from "../errors.ts";

/** Where the documentation lives on this service; a type is `<origin><PROBLEM_DOCS_PATH>#<code>`. */
export const PROBLEM_DOCS_PATH = "/docs/problems";

/** The built files under public/ (paths as the ASSETS binding serves them). */
export const PROBLEM_DOCS_ASSET = { html: "docs/problems.html", json: "docs/problems.json" } as const;

/**
 * The `type` of a problem with `code`. Absolute, on PUBLIC_URL when the
 * operator set one, else on the origin the request reached: RFC 9457 §3.1.1
 * allows a relative reference (resolved against the response's URI) but
 * warns relative URIs "might not be handled correctly by all
 * implementations", and problem bodies are logged and forwarded away from
 * the response they came in, where a relative type no longer resolves.
 */
export function problemType(code: ErrorCode, origin: string): string {
  return `${origin}${PROBLEM_DOCS_PATH}#${code}`;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/** The codes in table order, with their documentation. */
export function problemCatalogue(): { code: ErrorCode; status: number; title: string; advice: string }[] {
  return (Object.keys(ERROR_TABLE) as ErrorCode[]).map((code) => ({ code, status: ERROR_TABLE[code].status, title: ERROR_TABLE[code].title, advice: ERROR_ADVICE[code] }));
}

/** The HTML page: no script, no external resource (served with a CSP that allows only its inline style). */
export function problemDocsHtml(): string {
  const rows = problemCatalogue()
    .map((p) => `<tr id="${p.code}"><td><a href="#${p.code}"><code>${p.code}</code></a></td><td>${p.status}</td><td>${escapeHtml(p.title)}</td><td>${escapeHtml(p.advice)}</td></tr>`)
    .join("\n");
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>edgeca problem types</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.4rem .6rem;text-align:left;vertical-align:top}tr:target{background:#fff6cc}code{font-size:.95em}</style>
</head>
<body>
<h1>edgeca problem types</h1>
<p>Every error is an <code>application/problem+json</code> document (RFC 9457) whose <code>code</code> is one of these; its <code>type</code> links here.
Branch on <code>code</code>; read <code>detail</code> and, for validation errors, <code>errors[].pointer</code> / <code>errors[].detail</code>.
Quote <code>request_id</code> when reporting a problem. <a href="/docs/">API reference</a>.</p>
<table>
<thead><tr><th>code</th><th>status</th><th>meaning</th><th>what to do</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</body>
</html>
`;
}
