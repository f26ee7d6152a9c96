import type { VoteClientSignals } from '@llmpt/shared';

/** A FingerprintJS open-source visitor id: 32 lowercase hex (the api refuses anything else). */
const VISITOR_ID = /^[0-9a-f]{32}$/;

/** True for a well-formed visitor id; a vote never carries anything else as `fp`. */
export function isVisitorId(id: unknown): id is string {
  return typeof id === 'string' && VISITOR_ID.test(id);
}

/** What a vote carries: the fingerprint when there is a valid one, and the automation signal. */
export function clientSignals(fp: string | null, webdriver: boolean): VoteClientSignals {
  return isVisitorId(fp) ? { fp, webdriver } : { webdriver };
}

/** The part of FingerprintJS used: `load()` then `get()`. */
export interface FingerprintAgentLoader {
  load(options: { monitoring: boolean }): Promise<{ get(): Promise<{ visitorId: string }> }>;
}

/**
 * The browser signals sent with votes (issue 13). The fingerprint is a soft signal: FingerprintJS
 * (open-source edition, its own chunk) is imported after the page has painted and the browser is
 * idle, and a vote never waits for it; until it answers, or when it fails or is blocked, votes go
 * without it. Its monitoring request is switched off (it would call a third-party host).
 */
export class BrowserSignals {
  private fp: string | null = null;
  private started = false;

  constructor(
    private readonly importAgent: () => Promise<FingerprintAgentLoader>,
    private readonly webdriver: () => boolean = () => navigator.webdriver === true,
  ) {}

  /** Starts loading the fingerprint once; resolves when it is known or has failed (never throws). */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    try {
      const agent = await (await this.importAgent()).load({ monitoring: false });
      const { visitorId } = await agent.get();
      if (isVisitorId(visitorId)) this.fp = visitorId;
    } catch {
      // Blocked, failed to load, or threw in this browser: votes go without a fingerprint.
    }
  }

  /** Schedules `start` after the first paint, when the browser is idle. */
  startWhenIdle(): void {
    const go = () => void this.start();
    // Safari has no requestIdleCallback.
    const onIdle = (window as Partial<Window>).requestIdleCallback;
    const idle = () =>
      onIdle ? onIdle.call(window, go, { timeout: 5_000 }) : window.setTimeout(go, 1_000);
    if (document.readyState === 'complete') idle();
    else window.addEventListener('load', idle, { once: true });
  }

  /** What the next vote carries. */
  readonly read = (): VoteClientSignals => clientSignals(this.fp, this.webdriver());
}
