import { randomBytes } from 'node:crypto';

/** `n` random unsigned voter cookies (`vid=<22 chars>`), for the peers that do not sign them. */
export function randomVoterCookies(n: number): string[] {
  return Array.from({ length: n }, () => `vid=${randomBytes(16).toString('base64url')}`);
}
