import type { RankingRow } from '@llmpt/shared';

// The embeddable badge (/badge/{id}.svg): shields.io's flat style, drawn here (no font or
// renderer on the server). Text widths are estimated from Verdana 11 px advance widths and
// pinned with textLength, so the text fills its box the same in every renderer.

const HEIGHT = 20;
/**
 * Segment colours: shields' own (bright green #4c1, orange, light grey) give white text a
 * contrast of 2.1–2.7:1, seen on the first screenshot; these keep it at 5:1 or more (WCAG AA).
 */
const COLORS = {
  label: '#555555',
  rank: '#0b62a4',
  score: '#2b7a0b',
  provisional: '#b45309',
  muted: '#6b6b6b',
  error: '#c0392b',
} as const;
const PAD = 6;
const MAX_NAME = 40;

/** Approximate advance widths (px) of Verdana at 11 px, by character class. */
function charWidth(c: string): number {
  if (' '.includes(c)) return 3.9;
  if ("iljI.,:;|!'’".includes(c)) return 3.4;
  if ('ftr()[]-'.includes(c)) return 4.7;
  if ('mwMW'.includes(c)) return 10.3;
  if ('#%@'.includes(c)) return 9.2;
  if (/[A-Z]/.test(c)) return 7.6;
  if (/[0-9]/.test(c)) return 7;
  return 6.6;
}

export function textWidth(text: string): number {
  let w = 0;
  for (const c of text) w += charWidth(c);
  return Math.round(w * 10) / 10;
}

/** XML text and attribute values: & < > " ' escaped (model names are admins' free text). */
export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
  );
}

interface Segment {
  text: string;
  color: string;
}

/** A flat badge of segments, left to right, with `label` as its accessible name. */
export function renderBadge(segments: Segment[], label: string): string {
  let x = 0;
  const boxes = segments.map((s) => {
    const tw = textWidth(s.text);
    const box = { ...s, x, w: Math.ceil(tw + 2 * PAD), tw };
    x += box.w;
    return box;
  });
  const width = x;
  const title = escapeXml(label);
  const rects = boxes
    .map((b) => `<rect x="${b.x}" width="${b.w}" height="${HEIGHT}" fill="${b.color}"/>`)
    .join('');
  const texts = boxes
    .map((b) => {
      const cx = b.x + b.w / 2;
      const t = escapeXml(b.text);
      return (
        `<text aria-hidden="true" x="${cx}" y="15" fill="#010101" fill-opacity=".3" textLength="${b.tw}">${t}</text>` +
        `<text x="${cx}" y="14" textLength="${b.tw}">${t}</text>`
      );
    })
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${HEIGHT}" viewBox="0 0 ${width} ${HEIGHT}" role="img" aria-label="${title}">` +
    `<title>${title}</title>` +
    `<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>` +
    `<clipPath id="r"><rect width="${width}" height="${HEIGHT}" rx="3" fill="#fff"/></clipPath>` +
    `<g clip-path="url(#r)">${rects}<rect width="${width}" height="${HEIGHT}" fill="url(#s)"/></g>` +
    `<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" text-rendering="geometricPrecision" font-size="11">${texts}</g>` +
    `</svg>\n`
  );
}

const short = (name: string) =>
  name.length > MAX_NAME ? `${name.slice(0, MAX_NAME - 1).trimEnd()}…` : name;

/**
 * A model's badge: "<name> | rank #N | score S" on the overall board by score; a provisional
 * model (fewer votes than RANK_MIN_VOTES) says so, and so does one with no votes.
 */
export function modelBadge(
  row: Pick<RankingRow, 'rank' | 'score' | 'provisional' | 'llm'>,
  minVotes: number,
) {
  const name = short(row.llm.name);
  const score = `score ${row.score}`;
  if (row.rank !== null) {
    return renderBadge(
      [
        { text: name, color: COLORS.label },
        { text: `rank #${row.rank}`, color: COLORS.rank },
        { text: score, color: COLORS.score },
      ],
      `${row.llm.name}: rank #${row.rank} on the LLM leaderboard, score ${row.score}`,
    );
  }
  if (row.provisional) {
    return renderBadge(
      [
        { text: name, color: COLORS.label },
        { text: 'provisional', color: COLORS.provisional },
        { text: score, color: COLORS.muted },
      ],
      `${row.llm.name}: provisional, not ranked until ${minVotes} votes, score ${row.score}`,
    );
  }
  return renderBadge(
    [
      { text: name, color: COLORS.label },
      { text: 'no votes yet', color: COLORS.muted },
    ],
    `${row.llm.name}: not ranked, no votes yet`,
  );
}

/** The badge of an id that names no model (answered 404). */
export function unknownModelBadge(id: string): string {
  return renderBadge(
    [
      { text: short(id), color: COLORS.label },
      { text: 'unknown model', color: COLORS.error },
    ],
    `${id}: no such model on the LLM leaderboard`,
  );
}
