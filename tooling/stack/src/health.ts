import { setTimeout as sleep } from 'node:timers/promises';

const POLL_MS = 100;
const REQUEST_TIMEOUT_MS = 2_000;

/**
 * Resolves once `check` returns true (a throwing check counts as false), polling every 100 ms.
 * Rejects with `what` after `timeoutMs`, with the abort reason when `signal` aborts, or with
 * `stop()`'s error as soon as it returns one (e.g. the process being waited for exited).
 */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  opts: { timeoutMs?: number; signal?: AbortSignal; stop?: () => Error | undefined } = {},
): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  for (;;) {
    opts.signal?.throwIfAborted();
    const failed = opts.stop?.();
    if (failed) throw failed;
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${opts.timeoutMs ?? 120_000} ms`);
    await sleep(POLL_MS, undefined, { signal: opts.signal }).catch(() => undefined);
  }
}

/** Whether GET `url` answers 200. */
export async function answers200(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  await res.body?.cancel();
  return res.status === 200;
}

/**
 * Whether the api at `apiUrl` accepts votes: a vote for a model that does not exist is refused
 * as unknown (404) once the worker has restored every vote partition, and with 503 before.
 */
export async function acceptsVotes(apiUrl: string): Promise<boolean> {
  const res = await fetch(`${apiUrl}/trpc/vote.cast`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ llmId: 'no-such-model', value: 0 }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  await res.body?.cancel();
  return res.status === 404;
}
