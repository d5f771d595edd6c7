// A tiny FIFO counting semaphore: at most `limit` tasks run at once, the rest wait in arrival order.

export interface Semaphore {
  /** Runs `task` once a slot is free; the slot is released when it settles (also on throw). */
  run<T>(task: () => Promise<T> | T): Promise<T>;
  /** Tasks holding a slot right now. */
  readonly active: number;
  /** Tasks waiting for a slot. */
  readonly queued: number;
  /** The highest `active` ever observed: lets tests and logs prove the bound held. */
  readonly peak: number;
}

export function createSemaphore(limit: number): Semaphore {
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`Semaphore limit must be a positive integer, got ${limit}`);
  }
  let active = 0;
  let peak = 0;
  // FIFO of resolvers; `head` avoids Array.shift's O(n) copy when a burst queues up.
  let waiters: Array<() => void> = [];
  let head = 0;

  function acquire(): Promise<void> | undefined {
    if (active < limit) {
      active++;
      peak = Math.max(peak, active);
      return undefined;
    }
    return new Promise<void>((resolve) => waiters.push(resolve));
  }

  function release(): void {
    if (head < waiters.length) {
      const next = waiters[head] as () => void;
      waiters[head] = noop;
      head++;
      if (head === waiters.length) {
        waiters = [];
        head = 0;
      }
      // The slot passes straight to the oldest waiter (`active` is unchanged), so a task that
      // arrives between this release and the waiter resuming cannot jump the queue.
      next();
    } else {
      active--;
    }
  }

  return {
    async run<T>(task: () => Promise<T> | T): Promise<T> {
      const waiting = acquire();
      if (waiting) await waiting;
      try {
        return await task();
      } finally {
        release();
      }
    },
    get active(): number {
      return active;
    },
    get queued(): number {
      return waiters.length - head;
    },
    get peak(): number {
      return peak;
    },
  };
}

function noop(): void {}
