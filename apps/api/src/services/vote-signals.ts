import type { VoteClientSignals, VoteSignals } from '@llmpt/shared';

import type { KeyedHash } from './client-network.ts';

/**
 * User agents of headless browsers and HTTP libraries: no person votes with these. Matched
 * anywhere in the header, case-insensitively. A scripted client can send any header it likes,
 * so this only catches the careless; the detection rules weigh it with the other signals.
 */
const SCRIPTED_USER_AGENT =
  /headlesschrome|phantomjs|slimerjs|puppeteer|playwright|selenium|webdriver|\bcurl\/|\bwget\/|python-requests|python-urllib|aiohttp|httpx|go-http-client|okhttp|java\/|libwww-perl|node-fetch|axios\/|undici|scrapy|httpclient/i;

/**
 * Whether a User-Agent names a headless browser or an HTTP library (HeadlessChrome, PhantomJS,
 * curl, wget, python-requests, Go-http-client, …). An empty one counts too: every browser sends
 * one.
 */
export function isScriptedUserAgent(userAgent: string): boolean {
  return userAgent.trim() === '' || SCRIPTED_USER_AGENT.test(userAgent);
}

/** What the vote path knows about the caller when it builds the signals. */
export interface SignalSource {
  ip: string;
  userAgent: string;
  /** Keyed hash of the client's network (IPv4 /24, IPv6 /64), as the limits use it. */
  networkHash: string;
  newVoter: boolean;
  client?: VoteClientSignals;
}

/**
 * The signals kept with a vote for the integrity rules (issue 13): keyed hashes only, with the
 * same key and rule as voter sessions and limits (so a rule can join them), '' for what the
 * client did not send. Pure: no Redis, no clock.
 */
export function voteSignals(hash: KeyedHash, s: SignalSource): VoteSignals {
  return {
    ip: hash(s.ip),
    net: s.networkHash,
    ua: s.userAgent ? hash(s.userAgent) : '',
    fp: s.client?.fp ? hash(s.client.fp) : '',
    newVoter: s.newVoter,
    automated: s.client?.webdriver === true || isScriptedUserAgent(s.userAgent),
  };
}
