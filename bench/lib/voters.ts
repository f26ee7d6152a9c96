import { Agent, get } from 'node:http';

/**
 * Mints `n` voters the way browsers get theirs: one GET /trpc/vote.mine each, keeping the signed
 * `vid` cookie it sets (and the voter session it opens). Returns `Cookie` header values.
 */
export async function mintVoters(origin: string, n: number, concurrency = 32): Promise<string[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const cookies: string[] = [];
  const deadline = Date.now() + 120_000;
  const mintOne = () =>
    new Promise<string>((resolve, reject) => {
      const req = get(`${origin}/trpc/vote.mine`, { agent }, (res) => {
        res.resume();
        const cookie = (res.headers['set-cookie'] ?? [])
          .map((c) => /^vid=[^;]+/.exec(c)?.[0])
          .find(Boolean);
        res.on('end', () =>
          res.statusCode === 200 && cookie
            ? resolve(cookie)
            : reject(new Error(`vote.mine answered ${res.statusCode} without a vid cookie`)),
        );
      });
      req.on('error', reject);
    });
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (cookies.length < n) {
          if (Date.now() > deadline) throw new Error(`minted only ${cookies.length}/${n} voters`);
          cookies.push(await mintOne());
        }
      }),
    );
  } finally {
    agent.destroy();
  }
  return cookies.slice(0, n);
}
