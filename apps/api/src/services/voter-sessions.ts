/** A voter's session lives a day after their last refresh. */
export const SESSION_TTL_SEC = 24 * 60 * 60;
/** A voter's session is refreshed at most this often per process: the vote script skips it between. */
const REFRESH_EVERY_MS = 5 * 60_000;
const MAX_TRACKED = 100_000;

/** What the vote script needs from this process's memory of a voter (see cast-vote-7.lua). */
export interface SessionHint {
  /** A vote of theirs was accepted here lately: they hold a session, no EXISTS needed. */
  knownVoter: boolean;
  /** Their session has not been refreshed by this process in the last 5 minutes. */
  refresh: boolean;
}

/**
 * This process's memory of voter sessions. The sessions themselves (`session:<voterId>`: first
 * and last seen, keyed hashes of IP and user agent, 24 h TTL) are kept by the vote script, in
 * the vote's one call: opened by a voter's first accepted ballot, refreshed when this memory says
 * it is due. Written ONLY for an accepted vote: Redis runs with `noeviction`, so a key per
 * cookieless or forged request would let anyone fill it.
 */
export class VoterSessions {
  private readonly refreshed = new Map<string, number>();

  hint(voterId: string, now = Date.now()): SessionHint {
    const last = this.refreshed.get(voterId);
    return {
      knownVoter: last !== undefined,
      refresh: last === undefined || now - last >= REFRESH_EVERY_MS,
    };
  }

  /** After a vote whose script opened or refreshed the voter's session. */
  remember(voterId: string, now = Date.now()): void {
    if (this.refreshed.size >= MAX_TRACKED) this.refreshed.clear();
    this.refreshed.set(voterId, now);
  }
}
