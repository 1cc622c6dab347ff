/**
 * Every lifecycle query with representative arguments, as the service runs
 * them (/metrics, the at-risk list, the expiry alert, the renewal marking on
 * insert and its undoing on revocation): the query-plan test asserts each uses an index, and
 * bench/ledger-scale.ts times them on a million rows.
 */
import { LIFECYCLE_SQL, listQuery, renewalKey } from "../../src/store/d1.ts";

export interface NamedQuery {
  name: string;
  sql: string;
  args: unknown[];
}

export function lifecycleQueries(now: Date): NamedQuery[] {
  const at = now.toISOString();
  const within = (days: number) => new Date(now.getTime() + days * 86_400_000).toISOString();
  const atRiskList = listQuery({ renewed: false, expiringBefore: within(30), limit: 101, now: at });
  const marking = [{ serial: "ff".repeat(16), renewal_key: renewalKey(["svc-1.zone-1.mesh.example.com"], ["server"]), token_name: "ci", principal_subject: null, replaces: null, created_at: at }];
  const replacing = [{ ...marking[0]!, serial: "fe".repeat(16), replaces: "ee".repeat(16) }];
  return [
    { name: "metrics: states", sql: LIFECYCLE_SQL.states, args: [at] },
    { name: "metrics: at risk 7d", sql: LIFECYCLE_SQL.countAtRisk, args: [at, within(7)] },
    { name: "metrics: at risk 30d", sql: LIFECYCLE_SQL.countAtRisk, args: [at, within(30)] },
    { name: "metrics: next expiry", sql: LIFECYCLE_SQL.nextExpiry, args: [at] },
    { name: "metrics: 500 soonest", sql: LIFECYCLE_SQL.soonest, args: [at, within(30), 500] },
    { name: "metrics: totals", sql: LIFECYCLE_SQL.totals, args: [] },
    { name: "at-risk list (renewed=false&expiring_within=30d)", sql: atRiskList.sql, args: atRiskList.args },
    { name: "alert query (14d, not alerted today)", sql: LIFECYCLE_SQL.alertsDue, args: [at, within(14), at.slice(0, 10), 101] },
    { name: "renewal marking on insert", sql: LIFECYCLE_SQL.markRenewed, args: [JSON.stringify(marking)] },
    { name: "renewal un-marking on revocation", sql: LIFECYCLE_SQL.unmarkRenewed, args: [marking[0]!.renewal_key, "ee".repeat(16)] },
    { name: "exact renewal marking (replaces)", sql: LIFECYCLE_SQL.markReplaced, args: [JSON.stringify(replacing)] },
    { name: "exact renewal un-marking on revocation", sql: LIFECYCLE_SQL.unmarkReplaced, args: ["dd".repeat(16), "ee".repeat(16)] },
  ];
}
