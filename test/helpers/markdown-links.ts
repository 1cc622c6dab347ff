/**
 * Relative links and anchors in Markdown, resolved the way GitHub renders them: a link's file must exist
 * (relative to the linking file), and a `#fragment` must be the slug of a heading in the target file, as
 * GitHub computes it (github-slugger: the heading's text with inline markup removed, lower-cased,
 * everything but letters, marks, digits, `_`, `-` and spaces dropped, spaces turned into `-`, and a
 * repeated slug suffixed `-1`, `-2`, …), or an explicit `<a id>` / `<a name>`.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";

export interface Link {
  file: string;
  line: number;
  target: string;
}

/** The text outside fenced code blocks, line by line (fenced lines are blanked to keep line numbers). */
function prose(markdown: string): string[] {
  let fence: string | undefined;
  return markdown.split("\n").map((line) => {
    const m = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (m) {
      if (fence === undefined) fence = m[1]![0]!.repeat(m[1]!.length);
      else if (m[1]!.startsWith(fence)) fence = undefined;
      return "";
    }
    return fence === undefined ? line : "";
  });
}

/** GitHub's slug of a heading's rendered text. */
export function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1") // links and images: their text
    .replace(/`([^`]*)`/g, "$1") // code spans: their content
    .replace(/<[^>]+>/g, "") // inline HTML tags
    .replace(/(\*\*|__|\*|_(?=\S)|~~)/g, (m, _g, offset: number, s: string) => (m === "_" && /\w/.test(s[offset - 1] ?? "") ? m : "")); // emphasis markers
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

/** Every anchor a Markdown file defines: heading slugs (with GitHub's -1, -2 for repeats) and <a id/name>. */
export function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of prose(markdown)) {
    const h = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (h) {
      const base = githubSlug(h[1]!);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      out.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const a of line.matchAll(/<a\s[^>]*(?:id|name)="([^"]+)"/g)) out.add(a[1]!);
  }
  return out;
}

/** Inline links `[text](target)` and reference definitions `[x]: target` outside code. */
export function links(file: string, markdown: string): Link[] {
  const out: Link[] = [];
  prose(markdown).forEach((raw, i) => {
    const line = raw.replace(/`[^`]*`/g, (m) => " ".repeat(m.length)); // code spans are not links
    for (const m of line.matchAll(/\]\(\s*<?([^)\s>]*)>?(?:\s+"[^"]*")?\s*\)/g)) out.push({ file, line: i + 1, target: m[1]! });
    const def = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(line);
    if (def) out.push({ file, line: i + 1, target: def[1]! });
  });
  return out;
}

/** The dead relative links of a Markdown file, each with why; absolute URLs (scheme:, //) are not checked. */
export function deadLinks(file: string, root: string): string[] {
  const markdown = readFileSync(file, "utf8");
  const dead: string[] = [];
  for (const link of links(file, markdown)) {
    const { target } = link;
    if (target === "" || /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//")) continue;
    const hash = target.indexOf("#");
    const path = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
    const fragment = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
    const where = `${relative(root, file)}:${link.line}: ${target}`;
    const resolved = path === "" ? file : resolve(dirname(file), path);
    if (!existsSync(resolved)) {
      dead.push(`${where}: no file ${relative(root, resolved)}`);
      continue;
    }
    if (fragment === undefined || fragment === "") continue;
    if (statSync(resolved).isDirectory() || !resolved.endsWith(".md")) {
      dead.push(`${where}: #${fragment} in a file that is not Markdown`);
      continue;
    }
    const defined = anchors(resolved === file ? markdown : readFileSync(resolved, "utf8"));
    if (!defined.has(fragment)) dead.push(`${where}: no heading with the anchor #${fragment} in ${relative(root, resolved)}`);
  }
  return dead;
}
