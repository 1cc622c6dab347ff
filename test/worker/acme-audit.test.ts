/**
 * ACME refusals are in the audit trail like /v1's (issue 19 "audited", issue 21 #7): a refused
 * request of a known account is one row naming its principal and the RFC 8555 problem type; a
 * refusal with no principal (unknown account, bad nonce) is counted per client address, code and
 * minute. Rate-limited requests are not recorded (the limiter is the record).
 */
import { describe, expect, it } from "vitest";
import { dns, env, expectAcmeProblem, JOSE, newOrder, register, signJws } from "./acme-helpers.ts";
import { call } from "./helpers.ts";

interface Row {
  event: string;
  outcome: string;
  status: number;
  code: string | null;
  token_name: string | null;
  path: string;
  count: number;
  request_id: string;
}

const rows = async (where: string, ...args: unknown[]) =>
  (await env.DB!.prepare(`SELECT event, outcome, status, code, token_name, path, count, request_id FROM audit_events WHERE ${where} ORDER BY id`).bind(...args).all<Row>()).results;

describe("ACME refusals in the audit trail", () => {
  it("records a known account's refusal with its principal and the ACME problem type", async () => {
    const account = await register();
    const { res } = await newOrder(account, dns("outside.example.org"));
    await expectAcmeProblem(res, 403, "rejectedIdentifier");
    expect(await rows("request_id = ?", res.headers.get("X-Request-Id"))).toEqual([
      { event: "refused", outcome: "failure", status: 403, code: "acme:rejectedIdentifier", token_name: "zone-a-pipeline", path: "/acme/new-order", count: 1, request_id: res.headers.get("X-Request-Id") },
    ]);
  });

  it("counts refusals without a principal: one row per client address, code and minute", async () => {
    const account = await register();
    const address = `198.51.100.${Math.floor(Math.random() * 250) + 1}`;
    const unknown = account.url.replace(/[^/]+$/, "nosuchaccount");
    const headers = { "Content-Type": JOSE, "CF-Connecting-IP": address };
    for (let i = 0; i < 5; i++) {
      const body = await signJws(account.key, "/acme/new-order", { identifiers: dns("cp.example.com") }, { kid: unknown });
      await expectAcmeProblem(await call("/acme/new-order", { method: "POST", rawBody: body, headers }), 400, "accountDoesNotExist");
    }
    const counted = await rows("client_address = ?", address);
    expect(counted.length).toBeGreaterThanOrEqual(1);
    expect(counted.length).toBeLessThanOrEqual(2);
    expect(counted.every((r) => r.code === "acme:accountDoesNotExist" && r.token_name === null && r.status === 400)).toBe(true);
    expect(counted.reduce((n, r) => n + r.count, 0)).toBe(5);
  });
});
