import type { AdminMe } from '@llmpt/shared';
import { useSyncExternalStore } from 'react';

/**
 * Where the admin page stands with the api:
 * - `checking`: `admin.auth.me` not answered yet (first load);
 * - `signed-out`: the sign-in form, with why (`ended`: a 401 while signed in, e.g. the idle
 *   timeout or "sign out everywhere" from another browser; `signed-out`: the admin's own click);
 * - `signed-in`: who, their CSRF token and links;
 * - `unavailable`: `me` failed otherwise (api down, 5xx): the page says so and offers a retry,
 *   rather than a sign-in form that could not work either.
 */
export type SessionState =
  | { status: 'checking' }
  | { status: 'signed-out'; reason: 'none' | 'ended' | 'signed-out' }
  /** `via`: the sign-in form (focus moves to the view) or a session found at load. */
  | { status: 'signed-in'; me: AdminMe; via: 'form' | 'load' }
  | { status: 'unavailable'; error: unknown };

type Listener = () => void;

/** The one session of this tab, read with `useSession()`; changed only by `auth.ts` and 401s. */
class SessionStore {
  private state: SessionState = { status: 'checking' };
  private readonly listeners = new Set<Listener>();
  private readonly leaveHooks = new Set<Listener>();

  get = (): SessionState => this.state;

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** The token mutations send in `x-csrf-token`, while signed in. */
  csrfToken(): string | null {
    return this.state.status === 'signed-in' ? this.state.me.csrfToken : null;
  }

  /** Runs whenever a session stops being shown (sign-out, 401): e.g. dropping cached data. */
  onLeave(hook: Listener): void {
    this.leaveHooks.add(hook);
  }

  set(next: SessionState): void {
    const wasIn = this.state.status === 'signed-in';
    this.state = next;
    if (wasIn && next.status !== 'signed-in') for (const hook of this.leaveHooks) hook();
    for (const listener of [...this.listeners]) listener();
  }

  /** A 401 from any call: only a session that was shown as signed in "ended". */
  ended(): void {
    if (this.state.status === 'signed-in') this.set({ status: 'signed-out', reason: 'ended' });
    else if (this.state.status === 'checking') this.set({ status: 'signed-out', reason: 'none' });
  }
}

export const session = new SessionStore();

export function useSession(): SessionState {
  return useSyncExternalStore(session.subscribe, session.get);
}
