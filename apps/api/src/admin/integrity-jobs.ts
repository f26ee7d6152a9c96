import { QUEUE_MAINTENANCE } from '@llmpt/shared';
import { createRedis, redisTargetOf } from '@llmpt/vote-store';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

import type { Env } from '../env.ts';

/** The worker's job that runs the flags' voiding/restoring transitions at once. */
export const INTEGRITY_APPLY_JOB = 'integrity-apply';

/**
 * Asks the worker to run the integrity transitions now (a dismissed flag's votes are put back
 * within moments, not at its next sweep). Only a nudge: the worker's periodic sweep resumes any
 * transition anyway, so a job that is lost changes when, never whether. The queue and its
 * connection are opened on first use: most api processes never dismiss a flag.
 */
export class IntegrityJobs {
  private opened: { queue: Queue; connection: Redis } | null = null;

  constructor(
    private readonly env: Env,
    private readonly log: Logger,
  ) {}

  /** Adds one `integrity-apply` job to the maintenance queue (same name the worker handles). */
  async apply(flagId: string): Promise<void> {
    this.opened ??= this.open();
    await this.opened.queue.add(
      INTEGRITY_APPLY_JOB,
      { flagId },
      { removeOnComplete: 100, removeOnFail: 500, attempts: 1 },
    );
  }

  async close(): Promise<void> {
    const opened = this.opened;
    this.opened = null;
    if (!opened) return;
    await opened.queue.close();
    await opened.connection.quit().catch(() => undefined);
  }

  private open(): { queue: Queue; connection: Redis } {
    const connection = createRedis(redisTargetOf(this.env), 'bullmq', this.log);
    const queue = new Queue(QUEUE_MAINTENANCE, { connection, prefix: this.env.BULL_PREFIX });
    queue.on('error', (err) => this.log.warn({ err: err.message }, 'maintenance queue error'));
    return { queue, connection };
  }
}
