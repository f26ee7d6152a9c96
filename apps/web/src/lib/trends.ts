/**
 * An SVG path through `values` (oldest first) scaled into a `width` × `height` box with `pad`
 * pixels kept free at top and bottom, or null with fewer than two points. A flat series is drawn
 * through the middle.
 */
export function sparklinePath(
  values: readonly number[],
  width: number,
  height: number,
  pad = 2,
): string | null {
  if (values.length < 2) return null;
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min;
  const step = width / (values.length - 1);
  const inner = height - 2 * pad;
  const y = (v: number) => (span === 0 ? height / 2 : pad + inner - ((v - min) / span) * inner);
  return values.map((v, i) => `${i === 0 ? 'M' : 'L'}${round(i * step)} ${round(y(v))}`).join(' ');
}

const round = (n: number) => Math.round(n * 10) / 10;

/** "up 3 places", "down 1 place" or "no change". */
export function describeMove(by: number): string {
  if (by === 0) return 'no change';
  const n = Math.abs(by);
  return `${by > 0 ? 'up' : 'down'} ${n} ${n === 1 ? 'place' : 'places'}`;
}
