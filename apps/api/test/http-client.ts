import { request } from 'node:http';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One HTTP request through node:http, optionally from a chosen source address of 127.0.0.0/8
 * (how tests play clients on other networks) and with headers fetch would refuse or rewrite.
 */
export function rawRequest(
  url: string,
  opts: {
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    localAddress?: string;
  } = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: opts.method ?? 'GET',
        headers: opts.headers,
        localAddress: opts.localAddress,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** A vote as a browser that keeps no cookie sends it (a cookie-dropping script). */
export function voteWithoutCookie(
  baseUrl: string,
  llmId: string,
  value: 1 | -1 | 0,
  opts: { localAddress?: string; headers?: Record<string, string> } = {},
): Promise<RawResponse> {
  return rawRequest(`${baseUrl}/trpc/vote.cast`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...opts.headers },
    body: JSON.stringify({ llmId, value }),
    localAddress: opts.localAddress,
  });
}
