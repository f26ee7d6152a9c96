import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';

import { flush } from './flush.ts';
import { host } from './host.ts';
import { live } from './live.ts';
import { nginx } from './nginx.ts';
import { postgres } from './postgres.ts';
import { redis } from './redis.ts';
import { votePath } from './vote-path.ts';

/** Every dashboard, by the file name it is written to (`dashboards/<name>.json`). */
export function allDashboards(): Record<string, Dashboard> {
  return {
    'vote-path': votePath(),
    live: live(),
    flush: flush(),
    postgres: postgres(),
    redis: redis(),
    nginx: nginx(),
    host: host(),
  };
}
