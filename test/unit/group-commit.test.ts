import { describe, expect, it } from "vitest";
import { GroupCommit } from "../../src/store/group-commit.ts";

/** A storage stand-in: records each flush, takes `delayMs`, rejects a batch holding a "bad" item. */
function fakeStore(delayMs = 5) {
  const flushes: string[][] = [];
  const durable: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const flush = async (items: string[]) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    flushes.push([...items]);
    await new Promise((r) => setTimeout(r, delayMs));
    inFlight--;
    if (items.some((i) => i.startsWith("bad"))) throw new Error(`UNIQUE constraint failed (${items.join(",")})`);
    durable.push(...items);
  };
  return { flush, flushes, durable, maxInFlight: () => maxInFlight };
}

describe("GroupCommit", () => {
  it("writes an item alone when the queue is idle (no added latency)", async () => {
    const store = fakeStore();
    const gc = new GroupCommit({ flush: store.flush, maxBatch: 8 });
    await gc.write("a");
    expect(store.flushes).toEqual([["a"]]);
    expect(store.durable).toEqual(["a"]);
  });

  it("coalesces writes that arrive during a flush into the next flush, one flush at a time", async () => {
    const store = fakeStore();
    const gc = new GroupCommit({ flush: store.flush, maxBatch: 8, gather: false });
    const first = gc.write("a");
    const rest = ["b", "c", "d", "e"].map((x) => gc.write(x));
    await Promise.all([first, ...rest]);
    expect(store.flushes).toEqual([["a"], ["b", "c", "d", "e"]]);
    expect(store.maxInFlight()).toBe(1);
    expect(store.durable.sort()).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("gathers writes started in the same turn into the first flush", async () => {
    const store = fakeStore();
    const gc = new GroupCommit({ flush: store.flush, maxBatch: 8 });
    await Promise.all(["a", "b", "c"].map((x) => gc.write(x)));
    expect(store.flushes).toEqual([["a", "b", "c"]]);
  });

  it("resolves a writer only after its own item is durable", async () => {
    const store = fakeStore();
    const gc = new GroupCommit({ flush: store.flush, maxBatch: 8 });
    void gc.write("a");
    const order: string[] = [];
    await Promise.all(["b", "c"].map((x) => gc.write(x).then(() => order.push(`${x}:${store.durable.includes(x)}`))));
    expect(order.sort()).toEqual(["b:true", "c:true"]);
  });

  it("caps a flush at maxBatch and flushes the remainder next", async () => {
    const store = fakeStore();
    const gc = new GroupCommit({ flush: store.flush, maxBatch: 3, gather: false });
    const first = gc.write("0");
    const rest = Array.from({ length: 7 }, (_, i) => gc.write(String(i + 1)));
    await Promise.all([first, ...rest]);
    expect(store.flushes.map((f) => f.length)).toEqual([1, 3, 3, 1]);
    expect(store.durable).toHaveLength(8);
  });

  it("fails only the bad item of a group that failed on a constraint: the others are retried alone and land", async () => {
    const store = fakeStore();
    const gc = new GroupCommit({ flush: store.flush, maxBatch: 8, retryAlone: (e) => String(e).includes("UNIQUE constraint") });
    const first = gc.write("a");
    const results = await Promise.allSettled([first, gc.write("b"), gc.write("bad-c"), gc.write("d")]);
    expect(results.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled"]);
    expect(String((results[2] as PromiseRejectedResult).reason)).toContain("bad-c");
    expect(String((results[2] as PromiseRejectedResult).reason)).not.toContain("b,");
    expect(store.durable.sort()).toEqual(["a", "b", "d"]);
  });

  it("does not retry a group whose failure may have come after the commit: every writer gets the error, nothing is written twice", async () => {
    const flushes: string[][] = [];
    const gc = new GroupCommit<string>({
      maxBatch: 8,
      retryAlone: (e) => String(e).includes("constraint"),
      flush: async (items) => {
        flushes.push(items);
        throw new Error("Network connection lost");
      },
    });
    const results = await Promise.allSettled(["a", "b", "c"].map((x) => gc.write(x)));
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
    expect(flushes).toEqual([["a", "b", "c"]]);
  });

  it("caps a group by weight, a single heavy item still going alone", async () => {
    const store = fakeStore();
    const gc = new GroupCommit({ flush: store.flush, maxBatch: 8, maxWeight: 10, weight: (x: string) => Number(x), gather: false });
    const first = gc.write("1");
    await Promise.all([first, gc.write("4"), gc.write("5"), gc.write("20"), gc.write("3")]);
    expect(store.flushes).toEqual([["1"], ["4", "5"], ["20"], ["3"]]);
  });

  it("rejects every writer when storage is down, each with an error", async () => {
    const gc = new GroupCommit<string>({ flush: () => Promise.reject(new Error("D1 down")), maxBatch: 8 });
    const results = await Promise.allSettled(["a", "b", "c"].map((x) => gc.write(x)));
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    // The queue is not left stuck: a later write is flushed (and fails) rather than waiting forever.
    await expect(gc.write("y")).rejects.toThrow("D1 down");
  });

  it("hands every write's completion to keepAlive", async () => {
    const store = fakeStore();
    const kept: Promise<unknown>[] = [];
    const gc = new GroupCommit({ flush: store.flush, maxBatch: 8 });
    await Promise.all(["a", "b", "c"].map((x) => gc.write(x, (p) => kept.push(p))));
    expect(kept).toHaveLength(3);
    await Promise.all(kept);
  });

  it("a queued write whose flush never comes leads one itself after stallMs, and the late flush does not hand leadership on twice", async () => {
    let release: () => void = () => undefined;
    const flushes: string[][] = [];
    const gc = new GroupCommit<string>({
      maxBatch: 8,
      gather: false,
      stallMs: 30,
      flush: (items) => {
        flushes.push(items);
        // The first flush hangs (its request was cancelled); later ones are quick.
        return flushes.length === 1 ? new Promise<void>((r) => (release = r)) : Promise.resolve();
      },
    });
    const hung = gc.write("a");
    await gc.write("b");
    expect(flushes).toEqual([["a"], ["b"]]);
    release();
    await hung;
    // The queue works normally afterwards.
    await Promise.all([gc.write("c"), gc.write("d")]);
    expect(flushes.slice(2)).toEqual([["c"], ["d"]]);
  });
});
