import type { OutboxReader, VoteStore } from '@llmpt/vote-store';

import type { Env } from '../env.ts';
import type { Metrics } from '../metrics.ts';

export interface OutboxHygieneDeps {
  env: Pick<Env, 'OUTBOX_CONSUMER_IDLE_MS'>;
  store: VoteStore;
  reader: OutboxReader;
  metrics: Metrics;
  log: (msg: string) => void;
}

/**
 * Removes the outbox group's dead consumers (every worker start adds one per partition): idle
 * longer than OUTBOX_CONSUMER_IDLE_MS with nothing pending. A consumer with pending entries
 * stays until the flush reclaims them (XAUTOCLAIM), so no entry is dropped with it.
 */
export async function removeDeadConsumers(deps: OutboxHygieneDeps): Promise<string[]> {
  const removed: string[] = [];
  for (let p = 0; p < deps.store.partitions; p++)
    removed.push(...(await deps.reader.removeDeadConsumers(p, deps.env.OUTBOX_CONSUMER_IDLE_MS)));
  if (removed.length > 0) {
    deps.metrics.outboxConsumersRemoved.inc(removed.length);
    deps.log(
      `removed ${removed.length} dead outbox consumers (${[...new Set(removed)].join(', ')})`,
    );
  }
  return removed;
}
