import {
  type Database,
  existingEventIds,
  inTransaction,
  listLlmIds,
  lockOutboxPartition,
  readBallotsOfModels,
  recentEventKeys,
} from '@llmpt/db';
import {
  type VoteStore,
  adjustTally,
  outboxAfter,
  partitionOf,
  scanBallots,
  setBallotIf,
  snapshotPartition,
} from '@llmpt/vote-store';
import type { Kysely } from 'kysely';

import type { Metrics } from '../metrics.ts';

export const DRIFT_KINDS = ['tally', 'ballot_missing', 'ballot_extra', 'ballot_wrong'] as const;
export type DriftKind = (typeof DRIFT_KINDS)[number];

export interface ReconcileDeps {
  db: Kysely<Database>;
  store: VoteStore;
  metrics: Metrics;
  log: (msg: string) => void;
}

export interface ReconcileResult {
  drift: Record<DriftKind, number>;
  /** Ballots compared (Redis and Postgres together, each pair once). */
  ballots: number;
  repaired: number;
  durationMs: number;
}

interface Expected {
  value: -1 | 0 | 1;
  at: number;
  seq: number;
}

const key = (voterId: string, llmId: string) => `${voterId}\u0000${llmId}`;

/**
 * Compares Redis with Postgres (the truth) and, with `repair`, makes Redis agree. Per partition,
 * under its outbox lock (no flush transaction open or starting, see lockOutboxPartition), one
 * MULTI reads the outbox and the tallies; Postgres's ballots plus the outbox events it does not
 * hold yet (newest wins, as in the flush) are then exactly what Redis should show at that
 * moment. Tallies are compared at the snapshot and repaired by the difference (HINCRBY commutes
 * with votes cast since). Ballots are read afterwards, so those touched by a vote since the
 * snapshot (in the outbox or already flushed) are left out, and a repair only writes a ballot
 * that still holds what was read. Drift goes to reconcile_drift{kind}.
 */
export async function reconcile(deps: ReconcileDeps, repair: boolean): Promise<ReconcileResult> {
  const started = Date.now();
  const { store, db } = deps;
  const llmIds = await listLlmIds(db);
  const byPartition = Array.from({ length: store.partitions }, () => [] as string[]);
  for (const id of llmIds) byPartition[partitionOf(id, store.partitions)]!.push(id);

  const expected = new Map<string, Expected>();
  const snapshots: Array<{ lastId: string; lastMs: number }> = [];
  const drift: Record<DriftKind, number> = {
    tally: 0,
    ballot_missing: 0,
    ballot_extra: 0,
    ballot_wrong: 0,
  };
  let repaired = 0;

  for (let p = 0; p < store.partitions; p++) {
    const models = byPartition[p]!;
    const { snap, stored, flushed } = await inTransaction(db, async (trx) => {
      await lockOutboxPartition(trx, p);
      const snap = await snapshotPartition(store, p, models);
      const stored = await readBallotsOfModels(trx, models);
      const flushed = await existingEventIds(trx, snap.outbox);
      return { snap, stored, flushed };
    });
    snapshots[p] = { lastId: snap.lastId, lastMs: Number(snap.lastId.split('-')[0]) };
    const mine = new Map<string, Expected>();
    for (const b of stored) mine.set(key(b.voterId, b.llmId), b);
    for (const e of snap.outbox) {
      if (flushed.has(e.eventId)) continue;
      const k = key(e.voterId, e.llmId);
      const cur = mine.get(k);
      const at = e.createdAt.getTime();
      if (!cur || at > cur.at || (at === cur.at && e.seq > cur.seq))
        mine.set(k, { value: e.value, at, seq: e.seq });
    }
    const counts = new Map(models.map((id) => [id, { up: 0, down: 0 }]));
    for (const [k, b] of mine) {
      expected.set(k, b);
      const c = counts.get(k.slice(k.indexOf('\u0000') + 1));
      if (c && b.value === 1) c.up++;
      if (c && b.value === -1) c.down++;
    }
    for (const [id, want] of counts) {
      const have = snap.tallies.get(id) ?? { up: 0, down: 0 };
      if (have.up === want.up && have.down === want.down) continue;
      drift.tally++;
      if (repair) {
        await adjustTally(store, id, want.up - have.up, want.down - have.down);
        repaired++;
      }
    }
  }

  const inRedis = await scanBallots(store);
  // Pairs a vote touched after their partition's snapshot: not comparable.
  const touched = new Set<string>();
  for (let p = 0; p < store.partitions; p++) {
    const { lastId, lastMs } = snapshots[p]!;
    for (const e of await outboxAfter(store, p, lastId)) touched.add(key(e.voterId, e.llmId));
    for (const e of await recentEventKeys(db, p, byPartition[p]!, lastMs))
      if (streamIdAfter(e.streamId, lastId)) touched.add(key(e.voterId, e.llmId));
  }

  const compared = new Set<string>();
  const check = async (voterId: string, llmId: string) => {
    const k = key(voterId, llmId);
    if (compared.has(k) || touched.has(k)) return;
    compared.add(k);
    const want = expected.get(k)?.value ?? 0;
    const have = inRedis.get(voterId)?.get(llmId) ?? 0;
    if (want === have) return;
    drift[want === 0 ? 'ballot_extra' : have === 0 ? 'ballot_missing' : 'ballot_wrong']++;
    if (repair && (await setBallotIf(store, voterId, llmId, have, want))) repaired++;
  };
  const known = new Set(llmIds);
  for (const k of expected.keys()) {
    const i = k.indexOf('\u0000');
    await check(k.slice(0, i), k.slice(i + 1));
  }
  for (const [voterId, ballots] of inRedis)
    for (const llmId of ballots.keys()) if (known.has(llmId)) await check(voterId, llmId);

  for (const kind of DRIFT_KINDS) deps.metrics.reconcileDrift.set({ kind }, drift[kind]);
  deps.metrics.reconcileLastRun.set(Date.now() / 1000);
  const total = DRIFT_KINDS.reduce((n, kind) => n + drift[kind], 0);
  if (total > 0)
    deps.log(
      `reconcile: drift ${JSON.stringify(drift)}; ${repair ? `${repaired} repaired` : 'not repaired (RECONCILE_REPAIR=false)'}`,
    );
  return { drift, ballots: compared.size, repaired, durationMs: Date.now() - started };
}

function streamIdAfter(a: string, b: string): boolean {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am > bm || (am === bm && as > bs);
}
