import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { modelBadge } from '../src/http/public-api/badge.ts';
import { type TestApi, Visitor, startTestApi } from './helpers.ts';

const ARTIFACTS = resolve(
  dirname(fileURLToPath(import.meta.url)),
  '../../../tests/browser/artifacts',
);

let api: TestApi;
let ids: string[];
let names: Map<string, string>;
let browser: Browser;

const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' });

interface Svg {
  svg: { role: string; 'aria-label': string; title: string; width: string };
}

/** Parses an SVG as XML (failing on anything malformed) and returns its root. */
function svgOf(text: string): Svg['svg'] {
  expect(XMLValidator.validate(text)).toBe(true);
  return (parser.parse(text) as Svg).svg;
}

beforeAll(async () => {
  api = await startTestApi();
  const llms = await api.deps.catalogue.all();
  ids = llms.map((l) => l.id);
  names = new Map(llms.map((l) => [l.id, l.name]));
  // Two upvotes on the first model: ranked #1, score 2.
  for (let i = 0; i < 2; i += 1) {
    await new Visitor(api.baseUrl).client().vote.cast.mutate({ llmId: ids[0]!, value: 1 });
  }
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});
afterAll(async () => {
  await browser?.close();
  await api?.close();
});

describe('GET /badge/{id}.svg', () => {
  it('is valid SVG stating rank and score, with an accessible name', async () => {
    const res = await fetch(`${api.baseUrl}/badge/${ids[0]}.svg`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(res.headers.get('cache-control')).toBe('public, max-age=300');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    const svg = svgOf(await res.text());
    const text = `${names.get(ids[0]!)}: rank #1 on the LLM leaderboard, score 2`;
    expect(svg.role).toBe('img');
    expect(svg['aria-label']).toBe(text);
    expect(svg.title).toBe(text);

    const unvoted = svgOf(await (await fetch(`${api.baseUrl}/badge/${ids[1]}.svg`)).text());
    expect(unvoted.title).toBe(`${names.get(ids[1]!)}: not ranked, no votes yet`);
  });

  it('revalidates with its ETag (304)', async () => {
    const first = await fetch(`${api.baseUrl}/badge/${ids[0]}.svg`);
    const etag = first.headers.get('etag')!;
    const again = await fetch(`${api.baseUrl}/badge/${ids[0]}.svg`, {
      headers: { 'if-none-match': etag },
    });
    expect(again.status).toBe(304);
  });

  it('answers an unknown model with a 404 badge saying so', async () => {
    const res = await fetch(`${api.baseUrl}/badge/no-such-model.svg`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(svgOf(await res.text()).title).toBe(
      'no-such-model: no such model on the LLM leaderboard',
    );
    expect((await fetch(`${api.baseUrl}/badge/${ids[0]}.png`)).status).toBe(404);
  });

  it('escapes names and states a provisional model', () => {
    const llm = { id: 'x', name: `<Evil & "Co" 'Model'>` };
    const text = modelBadge({ llm: llm as never, rank: null, score: 3, provisional: true }, 20);
    const svg = svgOf(text);
    expect(svg.title).toBe(
      `<Evil & "Co" 'Model'>: provisional, not ranked until 20 votes, score 3`,
    );
    expect(text).not.toContain('<Evil');
  });

  it('renders in Chromium, embedded in a page of another origin (screenshot)', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const provisional = modelBadge(
      {
        llm: { id: 'x', name: 'Mixtral 8x22B Instruct (wide) WWW mmm' } as never,
        rank: null,
        score: -12,
        provisional: true,
      },
      20,
    );
    const page = await browser.newPage({
      viewport: { width: 520, height: 190 },
      deviceScaleFactor: 2,
    });
    try {
      // about:blank is another origin: the badge must be allowed cross-origin (CORP).
      await page.setContent(
        `<body style="font-family:sans-serif;margin:16px;background:#fff">` +
          `<p><img id="a" alt="ranked" src="${api.baseUrl}/badge/${ids[0]}.svg"></p>` +
          `<p><img id="b" alt="unvoted" src="${api.baseUrl}/badge/${ids[1]}.svg"></p>` +
          `<p><img id="c" alt="unknown" src="${api.baseUrl}/badge/no-such-model.svg"></p>` +
          `<p><img id="d" alt="provisional" src="data:image/svg+xml,${encodeURIComponent(provisional)}"></p></body>`,
      );
      // (Page code as strings: this workspace compiles without the DOM's types.)
      await page.waitForFunction(
        '[...document.images].every((img) => img.complete && img.naturalWidth > 0)',
      );
      const sizes = await page.evaluate<Array<[number, number]>>(
        '[...document.images].map((img) => [img.naturalWidth, img.naturalHeight])',
      );
      expect(sizes).toHaveLength(4);
      for (const [w, h] of sizes) {
        expect(h).toBe(20);
        expect(w).toBeGreaterThan(100);
      }
      await page.screenshot({ path: resolve(ARTIFACTS, 'badge.png') });
    } finally {
      await page.close();
    }
  });
});
