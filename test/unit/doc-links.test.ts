/**
 * Every relative link and anchor in README.md and docs/*.md resolves: the file exists, and a `#anchor`
 * is a heading of the target file as GitHub slugs it (test/helpers/markdown-links.ts). A dead one fails
 * with the file, line and target.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { anchors, deadLinks, githubSlug, links } from "../helpers/markdown-links.ts";

const REPO = join(import.meta.dirname, "..", "..");
const DOCS = ["README.md", ...readdirSync(join(REPO, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];

describe("links in README.md and docs/*.md", () => {
  it("covers the landing page and every page of docs/", () => {
    expect(DOCS).toEqual(expect.arrayContaining(["README.md", "docs/README.md", "docs/api.md", "docs/kuma.md"]));
    // Something is checked: the landing page links into docs/, some of them to anchors.
    const readme = links("README.md", readFileSync(join(REPO, "README.md"), "utf8")).map((l) => l.target);
    expect(readme.filter((t) => t.startsWith("docs/")).length).toBeGreaterThan(10);
    expect(readme.filter((t) => /^docs\/[a-z-]+\.md#/.test(t)).length).toBeGreaterThan(2);
  });

  it.each(DOCS)("%s has no dead relative link or anchor", (file) => {
    expect(deadLinks(join(REPO, file), REPO)).toEqual([]);
  });
});

describe("the link checker", () => {
  const dir = mkdtempSync(join(tmpdir(), "edgeca-links-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("slugs headings as GitHub does", () => {
    expect(githubSlug("Issue a certificate: `POST /v1/certificates` (scope `issue`)")).toBe("issue-a-certificate-post-v1certificates-scope-issue");
    expect(githubSlug("6. Nothing expires by surprise: Prometheus and alerts")).toBe("6-nothing-expires-by-surprise-prometheus-and-alerts");
    expect(githubSlug("No @peculiar/x509 in the worker")).toBe("no-peculiarx509-in-the-worker");
    expect(githubSlug("Kubernetes (Kuma ≤ 2.14; 3.0 no longer starts MADS on Kubernetes)")).toBe("kubernetes-kuma--214-30-no-longer-starts-mads-on-kubernetes");
    expect(githubSlug("The **bold** [link](x.md) and snake_case")).toBe("the-bold-link-and-snake_case");
    expect([...anchors("# A\n## A\n```\n# not a heading\n```\n### A\n")]).toEqual(["a", "a-1", "a-2"]);
  });

  it("reports a missing file, a missing anchor in another file and in the same file; accepts good ones and ignores code and URLs", () => {
    mkdirSync(join(dir, "sub"), { recursive: true });
    writeFileSync(join(dir, "sub", "other.md"), "# Other\n\n## Good `part`\n");
    writeFileSync(
      join(dir, "page.md"),
      [
        "# Page",
        "[ok](sub/other.md) [ok](sub/other.md#good-part) [ok](#page) [ok](sub) [web](https://example.com/x.md#y)",
        "[gone](missing.md) [no anchor](sub/other.md#bad-part) [here](#nowhere)",
        "`[code](not-checked.md)`",
        "```sh",
        "[fenced](not-checked-either.md)",
        "```",
        "[ref]: sub/absent.md",
      ].join("\n"),
    );
    expect(deadLinks(join(dir, "page.md"), dir)).toEqual([
      "page.md:3: missing.md: no file missing.md",
      "page.md:3: sub/other.md#bad-part: no heading with the anchor #bad-part in sub/other.md",
      "page.md:3: #nowhere: no heading with the anchor #nowhere in page.md",
      "page.md:8: sub/absent.md: no file sub/absent.md",
    ]);
  });
});
