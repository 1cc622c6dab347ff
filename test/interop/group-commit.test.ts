/**
 * Group commit in real workerd (the worker tier runs with it off: its pool forces
 * no_handle_cross_request_promise_resolution). Concurrent issuances and refusals
 * against the running worker must each be recorded exactly once, with their audit
 * events, every certificate handed out must be in the ledger, and renewal marking
 * must leave exactly one of many same-name certificates unrenewed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { post } from "../helpers/interop.ts";
import { type RunningWorker, startRunningWorker } from "../helpers/running-worker.ts";

let worker: RunningWorker;

beforeAll(async () => {
  worker = await startRunningWorker();
});

afterAll(async () => {
  await worker?.stop();
});

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(`${worker.url}${path}`, { headers: { authorization: `Bearer ${worker.authority.tokens.admin}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

describe("group commit under concurrency (real workerd)", () => {
  it("records 150 concurrent issuances and 50 concurrent refusals exactly once each", async () => {
    const name = `gc-${Date.now()}.mesh.example.com`;
    const [issued, refused] = await Promise.all([
      Promise.all(Array.from({ length: 150 }, () => post(worker, "/v1/certificates", { hostnames: [name] }))),
      Promise.all(Array.from({ length: 50 }, () => post(worker, "/v1/certificates", { hostnames: [name], ttl: "not-a-duration" }))),
    ]);
    expect(issued.map((r) => r.status)).toEqual(Array(150).fill(201));
    expect(refused.map((r) => r.status)).toEqual(Array(50).fill(400));
    const serials = issued.map((r) => r.json<{ serial_number: string }>().serial_number);
    expect(new Set(serials).size).toBe(150);

    const listed = await getJson<{ certificates: { serial_number: string }[] }>(`/v1/certificates?hostname=${name}&limit=500`);
    expect(listed.certificates.map((c) => c.serial_number).sort()).toEqual([...serials].sort());
    // Renewal marking inside the shared batches: exactly one of the 150 (the last recorded) is not renewed,
    // and every other one was renewed by a certificate of the same run.
    const current = await getJson<{ certificates: { serial_number: string }[] }>(`/v1/certificates?hostname=${name}&renewed=false`);
    expect(current.certificates).toHaveLength(1);
    const renewed = await getJson<{ certificates: { renewed_by: string }[] }>(`/v1/certificates?hostname=${name}&renewed=true&limit=500`);
    expect(renewed.certificates).toHaveLength(149);
    for (const r of renewed.certificates) expect(serials).toContain(r.renewed_by);
    for (const serial of serials.slice(0, 5)) expect((await getJson<{ serial_number: string }>(`/v1/certificates/${serial}`)).serial_number).toBe(serial);

    const audit = await getJson<{ events: { event: string; serial: string | null; status: number }[] }>("/v1/audit?limit=500");
    const issueEvents = audit.events.filter((e) => e.event === "issue" && e.serial !== null && serials.includes(e.serial));
    expect(issueEvents).toHaveLength(150);
    expect(audit.events.filter((e) => e.event === "refused" && e.status === 400).length).toBeGreaterThanOrEqual(50);
  });
});
