/**
 * GET /v1/acme/accounts pages like the ledger: an operator reaches every account (to cut it with
 * POST /v1/acme/accounts/{id}/deactivate), not only the newest 500.
 */
import { describe, expect, it } from "vitest";
import { register } from "./acme-helpers.ts";
import { call, expectProblem, tokens } from "./helpers.ts";

interface Page {
  accounts: { id: string; url: string }[];
  next_cursor: string | null;
}

describe("GET /v1/acme/accounts", () => {
  it("pages with next_cursor until every account was listed once", async () => {
    const made = await Promise.all([register(), register(), register()]);
    const ids = made.map((a) => a.url.split("/").pop()!);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await call(`/v1/acme/accounts?limit=2${cursor ? `&cursor=${cursor}` : ""}`, { token: tokens.admin });
      expect(res.status).toBe(200);
      const page = (await res.json()) as Page;
      expect(page.accounts.length).toBeLessThanOrEqual(2);
      seen.push(...page.accounts.map((a) => a.id));
      expect(page).toHaveProperty("next_cursor");
      cursor = page.next_cursor;
      pages++;
    } while (cursor !== null && pages < 1000);
    expect(pages).toBeGreaterThanOrEqual(2);
    expect(new Set(seen).size).toBe(seen.length);
    for (const id of ids) expect(seen).toContain(id);
  });

  it("refuses a cursor it did not make", async () => {
    await expectProblem(await call("/v1/acme/accounts?cursor=bm9wZQ", { token: tokens.admin }), 400, "validation_failed");
  });
});
