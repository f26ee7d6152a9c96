/** One sample of a Prometheus text exposition. */
export interface Sample {
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** The samples of metric `name` in a /metrics body (comments and other metrics skipped). */
export function samplesOf(text: string, name: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = LINE.exec(line);
    if (!m || m[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (m[2] ?? '').matchAll(LABEL)) labels[key!] = value!;
    out.push({ labels, value: Number(m[3]) });
  }
  return out;
}

/** GET `${origin}/metrics` (loopback) and return its samples of `name`. */
export async function scrape(origin: string, name: string): Promise<Sample[]> {
  const res = await fetch(`${origin}/metrics`);
  if (!res.ok) throw new Error(`${origin}/metrics answered ${res.status}`);
  return samplesOf(await res.text(), name);
}
