import type { VoteStore } from '@llmpt/vote-store';

/** Events as queued, column-wise (a million objects would weigh several times more). */
export interface QueuedEvents {
  count: number;
  /** Per partition, in stream order: what the worker will read, batch by batch. */
  partitions: Array<{ voters: string[]; llms: string[]; values: number[]; streamIds: string[] }>;
}

const VALUES = [1, -1, 0] as const;
const IN_FLIGHT = 2_000;

/**
 * Queues `total` vote events into the outbox streams exactly as the api does (the vote Lua
 * script through VoteStore.cast): random voters among `voters`, random models and values; casts
 * that change nothing append no event and are not counted. Bounded by `timeoutMs`.
 */
export async function fillOutbox(
  store: VoteStore,
  models: readonly string[],
  total: number,
  opts: { voters: number; timeoutMs: number },
): Promise<QueuedEvents> {
  const queued: QueuedEvents = {
    count: 0,
    partitions: Array.from({ length: store.partitions }, () => ({
      voters: [],
      llms: [],
      values: [],
      streamIds: [],
    })),
  };
  const deadline = Date.now() + opts.timeoutMs;
  while (queued.count < total) {
    if (Date.now() > deadline) throw new Error(`queued only ${queued.count}/${total} events`);
    const casts = Array.from({ length: Math.min(IN_FLIGHT, total - queued.count) }, () => {
      const voter = `voter-${Math.floor(Math.random() * opts.voters)}`;
      const llm = models[Math.floor(Math.random() * models.length)]!;
      const value = VALUES[Math.floor(Math.random() * 3)]!;
      return store.cast(voter, llm, value).then((r) => ({ r, voter, llm, value }));
    });
    // Settled in order of sending: within a partition, the order of the stream ids.
    for (const { r, voter, llm, value } of await Promise.all(casts)) {
      if (r.status === 'not_ready' || r.status === 'unknown_model')
        throw new Error(`cast answered ${r.status}`);
      if (r.status !== 'changed') continue;
      const p = queued.partitions[store.keysFor(llm).partition]!;
      p.voters.push(voter);
      p.llms.push(llm);
      p.values.push(value);
      p.streamIds.push(r.eventId);
      queued.count++;
    }
  }
  return queued;
}
