import { randomBytes } from 'node:crypto';

import { signerFactory } from '@fastify/cookie';

/**
 * `n` returning voters: `Cookie` header values `vid=<random id>.<HMAC>`, signed with the
 * deployment's VOTER_COOKIE_SECRET by the same library the api verifies them with. (A browser
 * gets its cookie with its first accepted vote; minting them that way would put n votes in the
 * tallies before the measurement.)
 */
export function signedVoters(secret: string, n: number): string[] {
  const signer = signerFactory(secret);
  return Array.from(
    { length: n },
    () => `vid=${signer.sign(randomBytes(16).toString('base64url'))}`,
  );
}
