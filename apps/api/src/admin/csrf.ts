import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Whether a state-changing request comes from the site's own pages: its Origin is in
 * ALLOWED_ORIGINS or names the host the request was sent to (the Host header). A request
 * without Origin is refused: every browser sends it on a cross-origin or non-GET fetch, and
 * what is not a browser cannot be driven by another site (it has no victim's cookie).
 * `Origin: null` (sandboxed frames, some redirects) is refused.
 */
export function sameOrigin(headers: IncomingHttpHeaders, allowed: readonly string[]): boolean {
  const origin = headers.origin;
  if (typeof origin !== 'string' || origin === '' || origin === 'null') return false;
  if (allowed.includes(origin)) return true;
  const host = headers.host;
  if (!host) return false;
  try {
    const url = new URL(origin);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.host === host;
  } catch {
    return false;
  }
}

/** Constant-time comparison of the header a client sent with the session's token. */
export function csrfTokenMatches(sent: string | string[] | undefined, expected: string): boolean {
  if (typeof sent !== 'string') return false;
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
