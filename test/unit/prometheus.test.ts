/**
 * The exposition renderer (src/http/prometheus.ts) and the strict reader the
 * tests check /metrics with (test/helpers/prometheus.ts): hostile label
 * values survive the round trip, the reader refuses what Prometheus refuses,
 * and promtool (when installed) agrees on both.
 */
import { describe, expect, it } from "vitest";
import { renderExposition, type MetricFamily } from "../../src/http/prometheus.ts";
import { metricFamilies } from "../../src/http/routes/metrics.ts";
import { parseExposition } from "../helpers/prometheus.ts";
import { HAS_PROMTOOL, promtool } from "../helpers/promtool.ts";

const hostile = 'a "quoted" \\back\\slash\nnew line, ünïcødé, {braces}=,';

const families: MetricFamily[] = [
  { name: "edgeca_test_value", type: "gauge", help: "Help with a \\ backslash\nand a newline.", samples: [{ labels: { value: hostile, other: "" }, value: 1.5 }, { labels: { value: "plain", other: "x" }, value: 1e21 }] },
  { name: "edgeca_test_total", type: "counter", help: "A counter.", samples: [{ value: 0 }] },
  { name: "edgeca_test_empty", type: "gauge", help: "No samples at all.", samples: [] },
  { name: "edgeca_test_special", type: "gauge", help: "Special values.", samples: [{ labels: { v: "nan" }, value: NaN }, { labels: { v: "inf" }, value: Infinity }, { labels: { v: "-inf" }, value: -Infinity }] },
];

describe("the exposition renderer", () => {
  it("escapes HELP and label values so they read back exactly", () => {
    const text = renderExposition(families);
    const parsed = parseExposition(text);
    expect(parsed.get("edgeca_test_value")!.help).toBe("Help with a \\ backslash\nand a newline.");
    expect(parsed.get("edgeca_test_value")!.samples[0]).toEqual({ name: "edgeca_test_value", labels: { value: hostile, other: "" }, value: 1.5 });
    expect(parsed.get("edgeca_test_value")!.samples[1]!.value).toBe(1e21);
    expect(parsed.get("edgeca_test_special")!.samples.map((s) => s.value)).toEqual([NaN, Infinity, -Infinity]);
    expect(text.split("\n")).toContain('edgeca_test_value{value="a \\"quoted\\" \\\\back\\\\slash\\nnew line, ünïcødé, {braces}=,",other=""} 1.5');
  });

  it("refuses invalid metric and label names instead of writing them", () => {
    expect(() => renderExposition([{ name: "edgeca-bad", type: "gauge", help: "x", samples: [] }])).toThrow(/metric name/);
    expect(() => renderExposition([{ name: "edgeca_ok", type: "gauge", help: "x", samples: [{ labels: { "bad-label": "v" }, value: 1 }] }])).toThrow(/label name/);
    expect(() => renderExposition([{ name: "edgeca_ok", type: "gauge", help: "x", samples: [{ labels: { __reserved: "v" }, value: 1 }] }])).toThrow(/label name/);
  });

  it.runIf(HAS_PROMTOOL)("passes promtool check metrics", () => {
    const verdict = promtool(renderExposition(families))!;
    expect(verdict, verdict.output).toMatchObject({ ok: true });
  });

  it("renders edgeca's families, empty and full, as valid exposition", () => {
    const empty = metricFamilies({ states: { active: 0, renewed: 0, revoked: 0, expired: 0 }, atRisk: [], nextExpiry: null, expiring: [], totals: [], ca: [] });
    const full = metricFamilies({
      states: { active: 3, renewed: 1, revoked: 2, expired: 7 },
      atRisk: [{ within: "7d", count: 1 }, { within: "30d", count: 2 }],
      nextExpiry: new Date("2027-01-02T03:04:05.678Z"),
      expiring: [
        { serial: "00ab", commonName: 'cp."x".example.com', principal: "zone-a\\pipeline", notAfter: new Date("2027-01-02T03:04:05.678Z") },
        { serial: "00cd", commonName: "kuma-control-plane.zone-b.svc", principal: "zone-cp", subject: "system:serviceaccount:zone-b:kuma-control-plane", notAfter: new Date("2027-01-03T00:00:00Z") },
      ],
      totals: [{ token_name: "a", key_source: "csr", issued: 4, revoked: 1 }, { token_name: "a", key_source: "generated", issued: 9, revoked: 1 }],
      ca: [{ fingerprint: "ff", role: "issuing", notAfter: new Date("2036-01-01T00:00:00Z") }],
    });
    for (const f of [empty, full]) {
      const text = renderExposition(f);
      parseExposition(text);
      const verdict = promtool(text);
      if (verdict) expect(verdict, verdict.output).toMatchObject({ ok: true });
    }
    const parsed = parseExposition(renderExposition(full));
    expect(parsed.get("edgeca_revoked_total")!.samples[0]!.value).toBe(2);
    expect(parsed.get("edgeca_next_expiry_timestamp_seconds")!.samples[0]!.value).toBe(Date.parse("2027-01-02T03:04:05.678Z") / 1000);
    expect(parsed.get("edgeca_certificate_expiration_timestamp_seconds")!.samples[0]!.labels).toEqual({ serial: "00ab", common_name: 'cp."x".example.com', principal: "zone-a\\pipeline" });
    // An OIDC caller's certificate names the workload (its sub), not only the trust policy that many workloads share.
    expect(parsed.get("edgeca_certificate_expiration_timestamp_seconds")!.samples[1]!.labels).toEqual({
      serial: "00cd",
      common_name: "kuma-control-plane.zone-b.svc",
      principal: "zone-cp",
      subject: "system:serviceaccount:zone-b:kuma-control-plane",
    });
  });
});

describe("the strict exposition reader", () => {
  const bad: [string, string][] = [
    ["no final newline", "# HELP a_b x\n# TYPE a_b gauge\na_b 1"],
    ["bad metric name", "# HELP a-b x\n# TYPE a-b gauge\na-b 1\n"],
    ["bad escape in a label", '# HELP a x\n# TYPE a gauge\na{l="\\t"} 1\n'],
    ["unterminated label", '# HELP a x\n# TYPE a gauge\na{l="x} 1\n'],
    ["missing value", "# HELP a x\n# TYPE a gauge\na\n"],
    ["bad value", "# HELP a x\n# TYPE a gauge\na one\n"],
    ["TYPE after samples", "# HELP a x\na 1\n# TYPE a gauge\n"],
    ["split family", "# HELP a x\n# TYPE a gauge\na 1\n# HELP b x\n# TYPE b gauge\nb 1\na{x=\"1\"} 2\n"],
    ["duplicate series", '# HELP a x\n# TYPE a gauge\na{x="1",y="2"} 1\na{y="2",x="1"} 2\n'],
    ["no HELP", "# TYPE a gauge\na 1\n"],
    ["counter without _total", "# HELP a x\n# TYPE a counter\na 1\n"],
    ["gauge with _total", "# HELP a_total x\n# TYPE a_total gauge\na_total 1\n"],
    ["unknown type", "# HELP a x\n# TYPE a meter\na 1\n"],
    ["the type in the name", "# HELP a_gauge x\n# TYPE a_gauge gauge\na_gauge 1\n"],
    ["a colon in the name", "# HELP a:b x\n# TYPE a:b gauge\na:b 1\n"],
    ["camelCase", '# HELP a x\n# TYPE a gauge\na{camelCase="1"} 1\n'],
    ["an abbreviated unit", "# HELP a_ms x\n# TYPE a_ms gauge\na_ms 1\n"],
  ];
  for (const [what, text] of bad) {
    it(`refuses ${what}`, () => {
      expect(() => parseExposition(text)).toThrow();
      const verdict = promtool(text);
      // promtool accepts some line-level oddities silently; where it does reject, it must agree.
      if (verdict && ["bad metric name", "bad value", "TYPE after samples", "no HELP", "counter without _total", "the type in the name", "a colon in the name", "camelCase", "an abbreviated unit"].includes(what)) expect(verdict.ok, verdict.output).toBe(false);
    });
  }
});
