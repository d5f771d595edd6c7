// The bounded loop every pruning step of the maintenance job runs in.
//
// D1 caps a query at 30 s and a Worker's invocation at its CPU limit, so each statement touches
// at most PRUNE_BATCH_SIZE rows (chosen by an indexed subquery, no id lists bound) and a step
// stops after PRUNE_MAX_BATCHES; what is left waits for the next run, which the report says.
// Eight steps (two prune, six retention) at 40 batches each make at most 320 D1 calls per run
// (the usage step's are two-statement batches), leaving most of D1's per-invocation query limit
// on Workers Paid (1,000) to the AI ledger's step: https://developers.cloudflare.com/d1/platform/limits/
export const PRUNE_BATCH_SIZE = 500;
const PRUNE_MAX_BATCHES = 40;

export interface BatchedOutcome {
  deleted: number;
  /** False when rows were left for the next run. */
  complete: boolean;
}

export async function deleteInBatches(
  deleteBatch: (batchSize: number) => Promise<number>,
  options: { batchSize?: number; maxBatches?: number } = {},
): Promise<BatchedOutcome> {
  const batchSize = options.batchSize ?? PRUNE_BATCH_SIZE;
  const maxBatches = options.maxBatches ?? PRUNE_MAX_BATCHES;
  let deleted = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    const count = await deleteBatch(batchSize);
    deleted += count;
    if (count < batchSize) return { deleted, complete: true };
  }
  return { deleted, complete: false };
}
