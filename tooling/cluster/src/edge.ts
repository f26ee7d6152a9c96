import type { Exit } from '@llmpt/stack';

import { type EdgeConfig, type RunningNginx, startNginx } from '../../../nginx/run.ts';
import type { ServerPart } from './server-process.ts';
import { isAlive } from './state.ts';

/**
 * The local address nginx connects to the apis from (`proxy_bind`): the apis' TRUST_PROXY. Its
 * own address, so a client on 127.0.0.1 talking to an api directly is not taken for the proxy.
 */
export const EDGE_PROXY_BIND = '127.0.0.2';

/** What a cluster may set of the edge's configuration (its addresses are the cluster's). */
export type EdgeOptions = Partial<Omit<EdgeConfig, 'listen' | 'webRoot' | 'apiServers'>>;

const EXIT_POLL_MS = 100;

/**
 * nginx in front of the apis, started by the edge's own runner (nginx/run.ts: the configuration
 * rendered and checked, the seed's rate limits, the L3 cache, least_conn upstreams for HTTP and
 * WebSocket), as a part of the cluster that can be killed and started again.
 */
export class EdgePart implements ServerPart {
  readonly name = 'nginx';
  private nginx: RunningNginx | null = null;
  private exit: Promise<Exit> = Promise.resolve({ code: null, signal: null });
  private expected = false;
  onUnexpectedExit?: (name: string, exit: Exit) => void;

  constructor(private readonly opts: { prefix: string; config: EdgeConfig; nginxPath?: string }) {}

  get url(): string {
    return `http://${this.opts.config.listen}`;
  }

  get pid(): number | null {
    const pid = this.nginx?.pid;
    return pid !== undefined && isAlive(pid) ? pid : null;
  }

  running(): boolean {
    return this.pid !== null;
  }

  get exited(): Promise<Exit> {
    return this.exit;
  }

  async start(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.running()) throw new Error(`nginx is already running (pid ${this.pid})`);
    const nginx = await startNginx({
      prefix: this.opts.prefix,
      config: this.opts.config,
      nginxPath: this.opts.nginxPath,
    });
    this.nginx = nginx;
    this.expected = false;
    // The runner keeps its child to itself: its exit is seen by its pid going away.
    this.exit = new Promise<Exit>((resolve) => {
      const timer = setInterval(() => {
        if (isAlive(nginx.pid)) return;
        clearInterval(timer);
        resolve({ code: null, signal: null });
      }, EXIT_POLL_MS);
      timer.unref();
    });
    void this.exit.then((exit) => {
      if (!this.expected) this.onUnexpectedExit?.(this.name, exit);
    });
  }

  kill(signal: NodeJS.Signals): boolean {
    const pid = this.pid;
    if (pid === null) return false;
    process.kill(pid, signal);
    return true;
  }

  async stop(): Promise<void> {
    if (!this.nginx) return;
    this.expected = true;
    // A stopped (SIGSTOP) master must get going again to act on the stop.
    this.kill('SIGCONT');
    await this.nginx.stop();
  }
}
