/**
 * GET /metrics: scope, media type, the strict exposition reader, and the
 * figures following real issuance, renewal and revocation in D1. Each read
 * that must see fresh figures goes through its own D1 handle: the figures
 * are cached per ledger (per isolate) for 30 s, which the last test checks.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { createToken } from "../../src/store/secret-tokens.ts";
import { parseExposition, type ParsedFamily } from "../helpers/prometheus.ts";
import { call, callWithEnv, expectProblem, tokens, type IssuedJson } from "./helpers.ts";

const scraper = await createToken("prometheus", ["metrics"], []);
const apiTokens = JSON.stringify([...(JSON.parse(env.API_TOKENS!) as unknown[]), scraper.entry]);

/** Another handle on the same database: a ledger of its own, so an empty metrics cache. */
const freshDb = () => ({ prepare: (sql: string) => env.DB!.prepare(sql), batch: (s: D1PreparedStatement[]) => env.DB!.batch(s) }) as unknown as D1Database;

async function scrape(db: D1Database = freshDb()): Promise<Map<string, ParsedFamily>> {
  const res = await callWithEnv({ API_TOKENS: apiTokens, DB: db } as never, "/metrics", { token: scraper.token });
  expect(res.status).toBe(200);
  expect(res.headers.get("Content-Type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  expect(res.headers.get("Cache-Control")).toBe("no-store");
  return parseExposition(await res.text());
}

function value(m: Map<string, ParsedFamily>, name: string, labels: Record<string, string> = {}): number | undefined {
  return m.get(name)?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

async function issue(hostnames: string[], ttl: string): Promise<IssuedJson> {
  const res = await call("/v1/certificates", { token: tokens.admin, body: { hostnames, ttl } });
  expect(res.status).toBe(201);
  return (await res.json()) as IssuedJson;
}

describe("GET /metrics", () => {
  it("needs the metrics scope (admin implies it)", async () => {
    await expectProblem(await callWithEnv({ API_TOKENS: apiTokens } as never, "/metrics"), 401, "unauthorized");
    await expectProblem(await callWithEnv({ API_TOKENS: apiTokens } as never, "/metrics", { token: tokens.reader }), 403, "insufficient_scope");
    expect((await call("/metrics", { token: tokens.admin })).status).toBe(200);
    await expectProblem(await callWithEnv({ API_TOKENS: apiTokens } as never, "/v1/certificates", { token: scraper.token }), 403, "insufficient_scope");
    const families = await scrape();
    expect([...families.keys()]).toEqual([
      "edgeca_certificates",
      "edgeca_certificates_at_risk",
      "edgeca_next_expiry_timestamp_seconds",
      "edgeca_certificate_expiration_timestamp_seconds",
      "edgeca_ca_expiration_timestamp_seconds",
      "edgeca_issued_total",
      "edgeca_revoked_total",
    ]);
  });

  it("shows an at-risk certificate until it is renewed, and counts issuance, renewal and revocation", async () => {
    const zone = `m${crypto.randomUUID().slice(0, 8)}.mesh.example.com`;
    const before = await scrape();
    const soon = await issue([`cp.${zone}`, "10.7.7.7"], "5d");
    const other = await issue([`other.${zone}`], "20d");
    const during = await scrape();

    const series = during.get("edgeca_certificate_expiration_timestamp_seconds")!.samples.find((s) => s.labels["serial"] === soon.serial_number);
    expect(series).toEqual({
      name: "edgeca_certificate_expiration_timestamp_seconds",
      labels: { serial: soon.serial_number, common_name: `cp.${zone}`, principal: "test-admin" },
      value: Date.parse(soon.not_after) / 1000,
    });
    expect(value(during, "edgeca_certificates_at_risk", { within: "7d" })).toBe(value(before, "edgeca_certificates_at_risk", { within: "7d" })! + 1);
    expect(value(during, "edgeca_certificates_at_risk", { within: "30d" })).toBe(value(before, "edgeca_certificates_at_risk", { within: "30d" })! + 2);
    expect(value(during, "edgeca_next_expiry_timestamp_seconds")).toBeLessThanOrEqual(Date.parse(soon.not_after) / 1000);
    expect(value(during, "edgeca_certificates", { state: "active" })).toBe(value(before, "edgeca_certificates", { state: "active" })! + 2);
    expect(value(during, "edgeca_issued_total", { principal: "test-admin", key_source: "generated" })).toBe((value(before, "edgeca_issued_total", { principal: "test-admin", key_source: "generated" }) ?? 0) + 2);

    // Renewing it takes it out of the at-risk series; revoking the other counts as revoked.
    await issue(["10.7.7.7", `cp.${zone}`], "90d");
    expect((await call(`/v1/certificates/${other.serial_number}/revoke`, { token: tokens.admin, body: { reason: "cessationOfOperation" } })).status).toBe(200);
    const after = await scrape();
    expect(after.get("edgeca_certificate_expiration_timestamp_seconds")!.samples.some((s) => s.labels["serial"] === soon.serial_number || s.labels["serial"] === other.serial_number)).toBe(false);
    expect(value(after, "edgeca_certificates", { state: "renewed" })).toBe(value(during, "edgeca_certificates", { state: "renewed" })! + 1);
    expect(value(after, "edgeca_certificates", { state: "revoked" })).toBe(value(during, "edgeca_certificates", { state: "revoked" })! + 1);
    expect(value(after, "edgeca_certificates", { state: "active" })).toBe(value(during, "edgeca_certificates", { state: "active" })! - 1);
    expect(value(after, "edgeca_revoked_total")).toBe(value(during, "edgeca_revoked_total")! + 1);
    expect(value(after, "edgeca_certificates_at_risk", { within: "30d" })).toBe(value(during, "edgeca_certificates_at_risk", { within: "30d" })! - 2);
    const total = ["active", "renewed", "revoked", "expired"].reduce((n, state) => n + value(after, "edgeca_certificates", { state })!, 0);
    expect(total).toBe((await env.DB!.prepare("SELECT COUNT(*) AS n FROM certificates").first<{ n: number }>())!.n);
  });

  it("reports the issuing CA and every trust anchor with their expiry", async () => {
    const m = await scrape();
    const health = (await (await call("/healthz")).json()) as { ca: { sha256_fingerprint: string; not_after: string } };
    expect(value(m, "edgeca_ca_expiration_timestamp_seconds", { fingerprint: health.ca.sha256_fingerprint, role: "issuing" })).toBe(Date.parse(health.ca.not_after) / 1000);
    const bundle = (await (await call("/v1/ca?format=json")).json()) as { certificates: { sha256_fingerprint: string; not_after: string }[] };
    for (const anchor of bundle.certificates) {
      expect(value(m, "edgeca_ca_expiration_timestamp_seconds", { fingerprint: anchor.sha256_fingerprint, role: "trust_anchor" })).toBe(Date.parse(anchor.not_after) / 1000);
    }
  });

  it("reads the ledger at most once per 30 s per isolate", async () => {
    const db = freshDb();
    const first = await scrape(db);
    await issue([`cached-${crypto.randomUUID().slice(0, 8)}.example.com`], "3d");
    const cached = await scrape(db);
    expect(value(cached, "edgeca_certificates_at_risk", { within: "7d" })).toBe(value(first, "edgeca_certificates_at_risk", { within: "7d" }));
    expect(value(await scrape(), "edgeca_certificates_at_risk", { within: "7d" })).toBe(value(first, "edgeca_certificates_at_risk", { within: "7d" })! + 1);
  });
});
