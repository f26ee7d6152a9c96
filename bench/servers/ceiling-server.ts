/**
 * The ceiling: a bare node:http server answering every request with the same 20-byte JSON.
 * Nothing served over HTTP by one Node process here can be faster.
 *   PORT=0 node --import tsx bench/servers/ceiling-server.ts
 * BODY_FILE=path: answer with that file's bytes instead (the same-size ceiling of a read).
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import { listenAndAnnounce } from './listen.ts';

const bodyFile = process.env.BODY_FILE;
const BODY = bodyFile ? readFileSync(bodyFile) : Buffer.from('{"hello":"world!!!"}');
if (!bodyFile && BODY.length !== 20) throw new Error('the ceiling body must be 20 bytes');

const server = createServer((req, res) => {
  // Drain any request body, as every real handler must.
  req.resume();
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': BODY.length });
  res.end(BODY);
});
listenAndAnnounce(server);
