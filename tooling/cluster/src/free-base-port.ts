import { isPortFree } from '@llmpt/devstack';

import { NPM_START_PORTS, PORT_SPAN } from './layout.ts';

/**
 * A base port whose whole range (base … base + 99) is free right now, picked at random below
 * Linux's ephemeral range (32768+), so outgoing connections cannot land on it meanwhile: for
 * tests that start clusters side by side. Same race as any free port: start soon.
 */
export async function freeBasePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + PORT_SPAN * Math.floor(Math.random() * 120);
    if (NPM_START_PORTS.some((p) => p >= base && p < base + PORT_SPAN)) continue;
    let free = true;
    for (let port = base; port < base + PORT_SPAN && free; port++) free = await isPortFree(port);
    if (free) return base;
  }
  throw new Error('no free range of 100 ports found between 20000 and 32000');
}
