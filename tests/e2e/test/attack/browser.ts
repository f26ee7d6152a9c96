import { request } from 'node:http';

/** One answer of the api, as a browser's network layer sees it. */
export interface Answer {
  status: number;
  body: string;
  setCookies: string[];
}

/**
 * One HTTP request from a chosen source address of 127.0.0.0/8: the api sees that address as
 * the client (no proxy, no X-Forwarded-For), so its /24 is the voter's network. A fresh
 * connection per request (agent: false), as many clients behind many addresses make them.
 */
export function send(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string; from: string },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: opts.method ?? 'GET',
        headers: opts.headers,
        localAddress: opts.from,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const raw = res.headers['set-cookie'];
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            setCookies: raw ?? [],
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** The voter id inside a signed `vid` cookie value (`<id>.<signature>`, URL-encoded). */
export function voterIdOf(cookieValue: string): string {
  return decodeURIComponent(cookieValue).split('.')[0]!;
}

/** What a browser adds to a vote (integrity.schema.ts: voteClientSignalsSchema). */
export interface ClientSignals {
  fp?: string;
  webdriver?: boolean;
}

/** One vote.cast as the api acknowledged it (or refused it). */
export interface CastAnswer {
  status: number;
  /** The ballot the api acknowledged (null when refused). */
  myVote: 1 | -1 | 0 | null;
  /** The tRPC appCode of a refusal (VOTER_BANNED, RATE_LIMITED…). */
  appCode: string | null;
  at: number;
}

/**
 * A browser at one source address with one User-Agent. `keepCookie` false plays a script that
 * drops its cookie after every vote (a new voter id each time); the ids the api gave it are
 * kept (`voterIds`, with each id's cookie) so the test can ask vote.mine as that voter and find
 * its rows in Postgres.
 */
export class Browser {
  private cookie = '';
  /** Every voter id the api minted for this browser, with its cookie. */
  readonly identities: Array<{ voterId: string; cookie: string }> = [];

  constructor(
    readonly from: string,
    readonly userAgent: string,
    readonly keepCookie = true,
  ) {}

  get voterId(): string | null {
    return this.identities.at(-1)?.voterId ?? null;
  }

  private remember(answer: Answer): void {
    const vid = answer.setCookies.map((c) => c.split(';')[0]!).find((c) => c.startsWith('vid='));
    if (!vid) return;
    this.identities.push({ voterId: voterIdOf(vid.slice(4)), cookie: vid });
    if (this.keepCookie) this.cookie = vid;
  }

  private headers(extra: Record<string, string> = {}, cookie = this.cookie) {
    return {
      ...(this.userAgent ? { 'user-agent': this.userAgent } : {}),
      ...(cookie ? { cookie } : {}),
      ...extra,
    };
  }

  async cast(
    api: string,
    llmId: string,
    value: 1 | -1 | 0,
    client?: ClientSignals,
  ): Promise<CastAnswer> {
    const answer = await send(`${api}/trpc/vote.cast`, {
      method: 'POST',
      from: this.from,
      headers: this.headers({ 'content-type': 'application/json' }),
      body: JSON.stringify({ llmId, value, ...(client ? { client } : {}) }),
    });
    const at = performance.now();
    this.remember(answer);
    const body = JSON.parse(answer.body) as {
      result?: { data: { myVote: 1 | -1 | 0 } };
      error?: { data?: { appCode?: string } };
    };
    return {
      status: answer.status,
      myVote: answer.status === 200 ? (body.result?.data.myVote ?? null) : null,
      appCode: body.error?.data?.appCode ?? null,
      at,
    };
  }

  /** vote.mine as one of this browser's identities (the current one by default). */
  async mine(
    api: string,
    cookie = this.identities.at(-1)?.cookie ?? '',
  ): Promise<Record<string, { value: 1 | -1; status: string }>> {
    const answer = await send(`${api}/trpc/vote.mine`, {
      from: this.from,
      headers: this.headers({}, cookie),
    });
    if (answer.status !== 200) throw new Error(`vote.mine: ${answer.status} ${answer.body}`);
    return (
      JSON.parse(answer.body) as {
        result: { data: Record<string, { value: 1 | -1; status: string }> };
      }
    ).result.data;
  }
}
