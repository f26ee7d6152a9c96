import {
  activeBans,
  applyVoteEvents,
  confirmFlag,
  dismissFlag,
  finishTransition,
  flagsInTransition,
  getIntegrityFlag,
  listIntegrityFlags,
  markVotes,
  modelVoteCounts,
  raiseFlag,
  readSweepEvents,
  removedVotes,
  votesOfFlag,
  type FlagInput,
  type FlagVote,
  type VoteEvent,
} from '@llmpt/db';
import { integrityListInputSchema, type FlagEvidence } from '@llmpt/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { type Fixture, createFixture } from './helpers.ts';

let f: Fixture;
let m: string[];
beforeAll(async () => {
  f = await createFixture();
  m = f.llmIds;
});
afterAll(() => f.cleanup());

const T0 = new Date('2026-12-02T12:00:00Z');
const evidence = (prefixHash?: string): FlagEvidence => ({
  windowSec: 600,
  counts: { newVoters: 3 },
  thresholds: { newVoters: 2 },
  ...(prefixHash ? { prefixHash } : {}),
  firstVoteAt: T0.toISOString(),
  lastVoteAt: T0.toISOString(),
});
const vote = (voterId: string, llmId: string, value: 1 | -1 = 1, at = T0): FlagVote => ({
  voterId,
  llmId,
  value,
  votedAt: at,
});
const flag = (subject: string, votes: FlagVote[], prefixHash?: string): FlagInput => ({
  rule: 'prefix-new-voters',
  subject,
  explanation: `${votes.length} votes`,
  evidence: evidence(prefixHash),
  votes,
});

describe('integrity repository', () => {
  it('reads the window of vote events with their signals, oldest first, newest kept at the bound', async () => {
    let seq = 0;
    const ev = (voter: string, at: number, kind: 'vote' | 'void' = 'vote'): VoteEvent => ({
      eventId: `0:${at}-${++seq}`,
      voterId: voter,
      llmId: m[0]!,
      value: kind === 'vote' ? 1 : 0,
      prevValue: kind === 'vote' ? 0 : 1,
      createdAt: new Date(at),
      seq,
      kind,
      ...(kind === 'void' ? { flagId: '1' } : {}),
      signals: { ip: 'i', net: 'n', ua: 'u', fp: '', newVoter: true, automated: false },
    });
    const base = T0.getTime();
    await applyVoteEvents(f.db, [
      ev('old', base - 60_000),
      ev('a', base),
      ev('b', base + 1_000),
      ev('c', base + 2_000),
      ev('a', base + 3_000, 'void'),
    ]);
    const all = await readSweepEvents(f.db, T0, 100);
    expect(all.map((e) => e.voterId)).toEqual(['a', 'b', 'c']);
    expect(all[0]!.signals).toEqual({
      ip: 'i',
      net: 'n',
      ua: 'u',
      fp: '',
      newVoter: true,
      automated: false,
    });
    expect((await readSweepEvents(f.db, T0, 2)).map((e) => e.voterId)).toEqual(['b', 'c']);
    const counts = await modelVoteCounts(f.db, new Date(base - 120_000), T0);
    expect(counts.get(m[0]!)).toBe(1);
  });

  it('raises, merges into the active flag, and skips ballots another flag holds', async () => {
    const first = await raiseFlag(f.db, flag('net:x', [vote('v1', m[0]!), vote('v2', m[0]!)]));
    expect(first?.added).toBe(2);
    expect(first?.flagId).toMatch(/^[1-9][0-9]*$/);
    const again = await raiseFlag(
      f.db,
      flag('net:x', [vote('v1', m[0]!), vote('v2', m[0]!), vote('v3', m[0]!, -1)]),
    );
    expect(again).toEqual({ flagId: first!.flagId, added: 1, created: false });
    // Another subject blaming the same ballots: nothing new, so no flag.
    expect(await raiseFlag(f.db, flag('net:y', [vote('v1', m[0]!)]))).toBeNull();
    expect(await flagsInTransition(f.db)).toEqual([{ id: first!.flagId, status: 'voiding' }]);
    expect((await votesOfFlag(f.db, first!.flagId, 'held')).map((v) => v.voterId)).toEqual([
      'v1',
      'v2',
      'v3',
    ]);
  });

  it('finishes voiding only when no ballot is left held, then confirms with bans (later end wins)', async () => {
    const id = (await flagsInTransition(f.db))[0]!.id;
    await markVotes(f.db, id, [{ voterId: 'v1', llmId: m[0]! }], 'held', 'voided');
    expect(await finishTransition(f.db, id, 'voiding', 'open')).toBe(false);
    const held = await votesOfFlag(f.db, id, 'held');
    expect(await markVotes(f.db, id, held, 'held', 'voided')).toBe(2);
    expect(await finishTransition(f.db, id, 'voiding', 'open')).toBe(true);
    expect(await finishTransition(f.db, id, 'voiding', 'open')).toBe(false);

    expect(await removedVotes(f.db)).toEqual({
      removedTotal: 3,
      removedByModel: { [m[0]!]: 3 },
      underReview: 3,
    });
    const until = new Date(Date.now() + 3_600_000);
    const confirmed = await confirmFlag(f.db, {
      flagId: id,
      by: 'admin',
      banVoters: true,
      banPrefix: true,
      until,
    });
    // This flag's evidence names no network: only voters are banned.
    expect(confirmed).toMatchObject({ voterIds: ['v1', 'v2', 'v3'], networkHash: null });
    expect(typeof confirmed === 'object' && confirmed.flag).toMatchObject({
      status: 'confirmed',
      votes: 3,
      voters: 3,
      byModel: [{ llmId: m[0]!, votes: 3 }],
      ban: { voters: true, prefix: false, until: until.toISOString() },
      reviewedBy: 'admin',
    });
    expect(
      await confirmFlag(f.db, { flagId: id, by: 'a', banVoters: false, banPrefix: false, until }),
    ).toBe('wrong_status');
    expect(await removedVotes(f.db)).toMatchObject({ removedTotal: 3, underReview: 0 });
    expect((await activeBans(f.db, new Date())).map((b) => b.subject)).toEqual(['v1', 'v2', 'v3']);

    // A second flag banning v1 for less time leaves the longer ban (and its flag) in place.
    const other = await raiseFlag(f.db, flag('net:z', [vote('v1', m[1]!)], 'nethash'));
    await markVotes(f.db, other!.flagId, [{ voterId: 'v1', llmId: m[1]! }], 'held', 'voided');
    await finishTransition(f.db, other!.flagId, 'voiding', 'open');
    const shorter = new Date(Date.now() + 60_000);
    const c2 = await confirmFlag(f.db, {
      flagId: other!.flagId,
      by: 'b',
      banVoters: true,
      banPrefix: true,
      until: shorter,
    });
    expect(c2).toMatchObject({ voterIds: ['v1'], networkHash: 'nethash' });
    const bans = await activeBans(f.db, new Date());
    expect(bans.find((b) => b.subject === 'v1')).toMatchObject({ until, flagId: id });
    expect(bans.find((b) => b.kind === 'prefix')).toMatchObject({ subject: 'nethash' });

    // Dismissing the second flag lifts only its own ban (the prefix), not v1's longer one.
    const d = await dismissFlag(f.db, { flagId: other!.flagId, by: 'c' });
    expect(d).toMatchObject({
      voterIds: [],
      networkHash: 'nethash',
      flag: { status: 'restoring' },
    });
    expect(await dismissFlag(f.db, { flagId: other!.flagId, by: 'c' })).toBe('wrong_status');
    expect(await dismissFlag(f.db, { flagId: '999999', by: 'c' })).toBe('not_found');
    expect(await flagsInTransition(f.db)).toEqual([{ id: other!.flagId, status: 'restoring' }]);
    expect(await finishTransition(f.db, other!.flagId, 'restoring', 'dismissed')).toBe(false);
    await markVotes(f.db, other!.flagId, [{ voterId: 'v1', llmId: m[1]! }], 'voided', 'restored');
    expect(await finishTransition(f.db, other!.flagId, 'restoring', 'dismissed')).toBe(true);
    expect(await removedVotes(f.db)).toEqual({
      removedTotal: 3,
      removedByModel: { [m[0]!]: 3 },
      underReview: 0,
    });

    // The sweep seeing the restored ballot again does not take it out again; a newer vote of
    // the same voter on that model may be flagged.
    expect(await raiseFlag(f.db, flag('net:z', [vote('v1', m[1]!)]))).toBeNull();
    const later = new Date(T0.getTime() + 60_000);
    expect(await raiseFlag(f.db, flag('net:z', [vote('v1', m[1]!, 1, later)]))).toMatchObject({
      added: 1,
    });
  });

  it('lists flags newest first with keyset pages and the open count', async () => {
    const all = await listIntegrityFlags(
      f.db,
      integrityListInputSchema.parse({ status: 'all', limit: 2 }),
    );
    expect(all.flags.map((x) => x.status)).toEqual(['voiding', 'dismissed']);
    expect(all.pending).toBe(0);
    const rest = await listIntegrityFlags(
      f.db,
      integrityListInputSchema.parse({ status: 'all', limit: 2, before: all.next! }),
    );
    expect(rest.flags.map((x) => x.status)).toEqual(['confirmed']);
    expect(rest.next).toBeNull();
    const pending = await listIntegrityFlags(f.db, integrityListInputSchema.parse({}));
    expect(pending.flags.map((x) => x.status)).toEqual(['voiding']);
    expect(await getIntegrityFlag(f.db, 424242)).toBeNull();
  });
});
