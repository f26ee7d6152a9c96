import type { IncomingMessage } from 'node:http';

export interface Vote {
  voterId: string;
  llmId: string;
  value: 1 | -1 | 0;
}

const VOTER = /(?:^|;\s*)vid=([A-Za-z0-9_-]{22})/;
const MAX_BODY = 16_384;

/**
 * The vote of a POST as the peers of `vote.cast` take it: body `{"llmId","value"}`, voter id from
 * the (unsigned) `vid` cookie. Null when any of it is missing or malformed.
 */
export function readVote(req: IncomingMessage): Promise<Vote | null> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
      if (body.length > MAX_BODY) req.destroy();
    });
    req.on('error', reject);
    req.on('end', () => resolve(parseVote(req, body)));
  });
}

function parseVote(req: IncomingMessage, body: string): Vote | null {
  const voterId = VOTER.exec(req.headers.cookie ?? '')?.[1];
  if (req.method !== 'POST' || !voterId) return null;
  try {
    const { llmId, value } = JSON.parse(body) as { llmId?: unknown; value?: unknown };
    if (typeof llmId !== 'string' || !(value === 1 || value === -1 || value === 0)) return null;
    return { voterId, llmId, value };
  } catch {
    return null;
  }
}
