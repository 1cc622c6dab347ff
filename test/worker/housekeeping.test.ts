/**
 * Revocation is bounded by the token's names, and the daily housekeeping
 * keeps the audit and idempotency tables from growing without bound.
 */
import { createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../../src/index.ts";
import { describe, expect, it } from "vitest";
import { createToken } from "../../src/store/secret-tokens.ts";
import { call, callWithEnv, expectProblem, tokens, type IssuedJson } from "./helpers.ts";

describe("revocation scope", () => {
  it("lets a non-admin revoke token revoke only certificates within its names", async () => {
    const zoneRevoker = await createToken("zone-a-revoker", ["revoke"], ["*.zone-a.mesh.example.com"]);
    const apiTokens = JSON.stringify([...(JSON.parse(env.API_TOKENS!) as unknown[]), zoneRevoker.entry]);
    const mine = (await (await call("/v1/certificates", { token: tokens.admin, body: { hostnames: ["cp1.zone-a.mesh.example.com"] } })).json()) as IssuedJson;
    const theirs = (await (await call("/v1/certificates", { token: tokens.admin, body: { hostnames: ["cp.zone-b.mesh.example.com"] } })).json()) as IssuedJson;
    await expectProblem(await callWithEnv({ API_TOKENS: apiTokens }, `/v1/certificates/${theirs.serial_number}/revoke`, { token: zoneRevoker.token, body: {} }), 403, "name_not_allowed");
    const ok = await callWithEnv({ API_TOKENS: apiTokens }, `/v1/certificates/${mine.serial_number}/revoke`, { token: zoneRevoker.token, body: {} });
    expect(ok.status).toBe(200);
  });
});

describe("housekeeping (cron)", () => {
  it("deletes audit events past retention and expired idempotency keys, keeping the rest", async () => {
    const old = new Date(Date.now() - 500 * 86_400_000).toISOString();
    await env.DB!.prepare("INSERT INTO audit_events (at, event, outcome, status, method, path, request_id) VALUES (?, 'refused', 'failure', 401, 'GET', '/v1/x', 'old-event')").bind(old).run();
    await env.DB!.prepare("INSERT INTO idempotency_keys (token_name, key, request_hash, state, created_at, expires_at) VALUES ('t', 'expired-key', 'h', 'done', ?, ?)").bind(old, old).run();
    await call("/v1/certificates", { body: { hostnames: ["x.example.com"] } }); // a fresh refused event
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "17 3 * * *" }), env);
    expect(await env.DB!.prepare("SELECT COUNT(*) AS n FROM audit_events WHERE request_id = 'old-event'").first<{ n: number }>()).toEqual({ n: 0 });
    expect(await env.DB!.prepare("SELECT COUNT(*) AS n FROM idempotency_keys WHERE key = 'expired-key'").first<{ n: number }>()).toEqual({ n: 0 });
    expect((await env.DB!.prepare("SELECT COUNT(*) AS n FROM audit_events").first<{ n: number }>())!.n).toBeGreaterThan(0);
  });

  it("does not audit 429s (a flood must not fill the database)", async () => {
    const before = (await env.DB!.prepare("SELECT COUNT(*) AS n FROM audit_events").first<{ n: number }>())!.n;
    const refuse = { limit: async () => ({ success: false }) };
    for (let i = 0; i < 5; i++) await callWithEnv({ RATE_LIMIT_CLIENT: refuse } as never, "/v1/ca");
    expect((await env.DB!.prepare("SELECT COUNT(*) AS n FROM audit_events").first<{ n: number }>())!.n).toBe(before);
  });
});
