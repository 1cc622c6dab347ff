/**
 * docs/kuma.md's Prometheus alerting rules: they use only metric names
 * /metrics writes, `promtool check rules` accepts them, and `promtool test
 * rules` shows the at-risk alert firing for a certificate 10 days from expiry
 * and staying quiet for one 20 days away (both checks need promtool).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { metricFamilies } from "../../src/http/routes/metrics.ts";
import { HAS_PROMTOOL } from "../helpers/promtool.ts";

const doc = readFileSync(join(import.meta.dirname, "..", "..", "docs", "kuma.md"), "utf8");
const rulesYaml = /^```yaml rules=edgeca\n([\s\S]*?)^```$/m.exec(doc)?.[1] ?? "";
const dir = mkdtempSync(join(tmpdir(), "edgeca-rules-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("docs/kuma.md alerting rules", () => {
  it("refer only to metrics edgeca exports", () => {
    const groups = (parse(rulesYaml) as { groups: { rules: { alert: string; expr: string }[] }[] }).groups;
    const exported = new Set(metricFamilies({ states: { active: 0, renewed: 0, revoked: 0, expired: 0 }, atRisk: [], nextExpiry: null, expiring: [], totals: [], ca: [] }).map((f) => f.name));
    const used = groups.flatMap((g) => g.rules.flatMap((r) => r.expr.match(/edgeca_[a-z_]+/g) ?? []));
    expect(used.length).toBeGreaterThan(2);
    for (const name of used) expect(exported, name).toContain(name);
  });

  it.runIf(HAS_PROMTOOL)("pass promtool check rules, and the at-risk alert fires only for the certificate expiring soon", () => {
    writeFileSync(join(dir, "edgeca.yml"), rulesYaml);
    const check = spawnSync("promtool", ["check", "rules", join(dir, "edgeca.yml")], { encoding: "utf8" });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    // Time starts at 0 in promtool tests: notAfter 10 days and 20 days after it.
    writeFileSync(
      join(dir, "test.yml"),
      `rule_files: [edgeca.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'edgeca_certificate_expiration_timestamp_seconds{serial="0a",common_name="cp.example.com",principal="ci"}'
        values: '864000x30'
      - series: 'edgeca_certificate_expiration_timestamp_seconds{serial="0b",common_name="later.example.com",principal="ci"}'
        values: '1728000x30'
      - series: 'edgeca_certificate_expiration_timestamp_seconds{serial="0c",common_name="kuma-control-plane.zone-b.svc",principal="zone-cp",subject="system:serviceaccount:zone-b:kuma-control-plane"}'
        values: '864000x30'
      - series: 'up{job="edgeca"}'
        values: '1x30'
    alert_rule_test:
      - eval_time: 20m
        alertname: EdgecaCertificateAtRisk
        exp_alerts:
          - exp_labels: { severity: warning, serial: "0a", common_name: cp.example.com, principal: ci }
            exp_annotations:
              summary: "cp.example.com expires in 9d 23h 40m 0s and was not renewed"
              description: "serial 0a, obtained by ci; renew it (edgeca renew) or revoke it if it is no longer used."
          - exp_labels: { severity: warning, serial: "0c", common_name: kuma-control-plane.zone-b.svc, principal: zone-cp, subject: "system:serviceaccount:zone-b:kuma-control-plane" }
            exp_annotations:
              summary: "kuma-control-plane.zone-b.svc expires in 9d 23h 40m 0s and was not renewed"
              description: "serial 0c, obtained by zone-cp (OIDC sub system:serviceaccount:zone-b:kuma-control-plane); renew it (edgeca renew) or revoke it if it is no longer used."
      - eval_time: 20m
        alertname: EdgecaMetricsDown
        exp_alerts: []
`,
    );
    const test = spawnSync("promtool", ["test", "rules", join(dir, "test.yml")], { encoding: "utf8", cwd: dir });
    expect(test.status, test.stdout + test.stderr).toBe(0);
  });
});
