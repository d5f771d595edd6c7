import { describe, expect, it } from "vitest";
import { createSemaphore } from "../../src/lib/semaphore";

function defer(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function hopMicrotasks(count: number): Promise<void> {
  for (let i = 0; i < count; i++) await Promise.resolve();
}

describe("createSemaphore", () => {
  it("SEC-54 never runs more than `limit` tasks at once, and all 20 of a burst complete", async () => {
    const semaphore = createSemaphore(2);
    let running = 0;
    let maxRunning = 0;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        semaphore.run(async () => {
          running++;
          maxRunning = Math.max(maxRunning, running);
          await new Promise((resolve) => setTimeout(resolve, 1));
          running--;
          return i;
        }),
      ),
    );
    expect(results).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(maxRunning).toBe(2);
    expect(semaphore.peak).toBe(2);
    expect(semaphore.active).toBe(0);
    expect(semaphore.queued).toBe(0);
  });

  it("reports active and queued tasks while a burst waits", async () => {
    const semaphore = createSemaphore(2);
    const gate = defer();
    const runs = Array.from({ length: 5 }, () => semaphore.run(() => gate.promise));
    await hopMicrotasks(3);
    expect(semaphore.active).toBe(2);
    expect(semaphore.queued).toBe(3);
    gate.resolve();
    await Promise.all(runs);
    expect(semaphore.active).toBe(0);
    expect(semaphore.queued).toBe(0);
  });

  it("starts waiting tasks in arrival order (FIFO)", async () => {
    const semaphore = createSemaphore(1);
    const started: number[] = [];
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        semaphore.run(async () => {
          started.push(i);
          await Promise.resolve();
        }),
      ),
    );
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("hands a released slot to the oldest waiter, so a newcomer cannot jump the queue", async () => {
    // Whatever the microtask distance between the release and the newcomer, B (queued) goes first.
    for (let hops = 0; hops <= 8; hops++) {
      const semaphore = createSemaphore(1);
      const order: string[] = [];
      const gate = defer();
      const a = semaphore.run(async () => {
        order.push("A");
        await gate.promise;
      });
      const b = semaphore.run(() => void order.push("B"));
      gate.resolve();
      await hopMicrotasks(hops);
      const c = semaphore.run(() => void order.push("C"));
      await Promise.all([a, b, c]);
      expect(order, `newcomer after ${hops} microtask hops`).toEqual(["A", "B", "C"]);
      expect(semaphore.peak).toBe(1);
    }
  });

  it("releases the slot when a task throws or rejects, and passes the error on", async () => {
    const semaphore = createSemaphore(1);
    await expect(
      semaphore.run(() => {
        throw new Error("sync failure");
      }),
    ).rejects.toThrow("sync failure");
    await expect(semaphore.run(() => Promise.reject(new Error("async failure")))).rejects.toThrow("async failure");
    expect(semaphore.active).toBe(0);
    await expect(semaphore.run(() => "still usable")).resolves.toBe("still usable");
  });

  it("refuses a limit that is not a positive integer", () => {
    for (const limit of [0, -1, 1.5, Number.NaN]) {
      expect(() => createSemaphore(limit)).toThrow(RangeError);
    }
  });
});
