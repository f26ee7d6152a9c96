import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { FlagEvaluation } from '@llmpt/shared';
import { OpenFeature, ProviderEvents } from '@openfeature/web-sdk';
import { createTRPCClient, httpLink } from '@trpc/client';
import { TRPCError, initTRPC } from '@trpc/server';
import { createHTTPHandler } from '@trpc/server/adapters/standalone';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { ConfigFeed } from '../live/config-feed.ts';
import { VoterFlagProvider } from './voter-flag-provider.ts';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const WAIT = { timeout: 5_000, interval: 10 };

/** A real tRPC server answering `flags.evaluate` as told (or failing), and the app's client. */
async function flagsServer(initial: FlagEvaluation | 'fail') {
  let answer = initial;
  let calls = 0;
  const t = initTRPC.create();
  const router = t.router({
    flags: t.router({
      evaluate: t.procedure.query((): FlagEvaluation => {
        calls += 1;
        if (answer === 'fail') {
          throw new TRPCError({ code: 'INTERNAL_SERVER_ERROR', message: 'flags unavailable' });
        }
        return answer;
      }),
    }),
  });
  const handle = createHTTPHandler({ router, basePath: '/trpc/' });
  const server = createServer((req, res) => handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const { port } = server.address() as AddressInfo;
  const client = createTRPCClient<typeof router>({
    links: [httpLink({ url: `http://127.0.0.1:${port}/trpc` })],
  });
  return {
    client,
    calls: () => calls,
    set(next: FlagEvaluation | 'fail') {
      answer = next;
    },
  };
}

const evaluation = (version: number, on: boolean): FlagEvaluation => ({
  version,
  flags: { 'hide-results': { value: on, variant: on ? 'on' : 'off' } },
});

/** The provider set in OpenFeature as `main.tsx` does, and a client of it. */
async function open(provider: VoterFlagProvider) {
  await OpenFeature.setProviderAndWait(provider);
  cleanups.push(() => OpenFeature.clearProviders());
  return OpenFeature.getClient();
}

describe('VoterFlagProvider', () => {
  it('resolves the server’s evaluation, and follows a newer flags version from the live feed', async () => {
    const api = await flagsServer(evaluation(4, false));
    const provider = new VoterFlagProvider(api.client, { retryDelayMs: 20 });
    const feed = new ConfigFeed();
    feed.subscribe((kind, v) => kind === 'flags' && provider.noteVersion(v));
    const client = await open(provider);
    expect(client.getBooleanDetails('hide-results', false)).toMatchObject({
      value: false,
      variant: 'off',
      reason: 'TARGETING_MATCH',
    });
    const changed: string[][] = [];
    client.addHandler(ProviderEvents.ConfigurationChanged, (e) =>
      changed.push(e?.flagsChanged ?? []),
    );

    // The version the page holds: nothing to do.
    feed.note({ catalogue: 1, flags: 4, integrity: 0 });
    expect(api.calls()).toBe(1);

    // An admin turned it on for this voter.
    api.set(evaluation(5, true));
    feed.note({ catalogue: 1, flags: 5, integrity: 0 });
    await vi.waitFor(() => expect(client.getBooleanValue('hide-results', false)).toBe(true), WAIT);
    expect(changed).toEqual([['hide-results']]);
    // A flag the server does not know: the caller's default.
    expect(client.getBooleanDetails('no-such-flag', false)).toMatchObject({
      value: false,
      reason: 'DEFAULT',
    });
  });

  it('asks again while an api answers an older version than the feed reported', async () => {
    const api = await flagsServer(evaluation(1, false));
    // Retries without end here, so the test's own pace cannot outrun them.
    const provider = new VoterFlagProvider(api.client, { retryDelayMs: 20, maxRetries: 10_000 });
    const client = await open(provider);
    // The other api process has not heard of version 2 yet.
    provider.noteVersion(2);
    await vi.waitFor(() => expect(api.calls()).toBeGreaterThanOrEqual(3), WAIT);
    expect(client.getBooleanValue('hide-results', true)).toBe(false);
    api.set(evaluation(2, true));
    await vi.waitFor(() => expect(client.getBooleanValue('hide-results', false)).toBe(true), WAIT);
    expect(provider.current()?.version).toBe(2);
  });

  it('leaves every flag at its default when the evaluation fails, and recovers on the next version', async () => {
    const api = await flagsServer('fail');
    const provider = new VoterFlagProvider(api.client, { retryDelayMs: 20 });
    const client = await open(provider);
    // Ready, not broken: the page renders with defaults.
    expect(client.providerStatus).toBe('READY');
    expect(client.getBooleanValue('hide-results', false)).toBe(false);
    expect(provider.current()).toBeNull();

    api.set(evaluation(3, true));
    provider.noteVersion(3);
    await vi.waitFor(() => expect(client.getBooleanValue('hide-results', false)).toBe(true), WAIT);
  });
});
