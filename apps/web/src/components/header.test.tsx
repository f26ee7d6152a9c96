// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';

import { createConnectionStore } from '../lib/live/connection-store.ts';
import { THEME_STORAGE_KEY } from '../lib/theme.ts';
import { ConnectionBadge } from './connection-badge.tsx';
import { ThemeToggle } from './theme-toggle.tsx';

afterEach(() => {
  cleanup();
  localStorage.clear();
});

/** The text a sighted reader sees (the visually hidden explanation left out). */
function visibleText(el: HTMLElement): string {
  const copy = el.cloneNode(true) as HTMLElement;
  for (const hidden of copy.querySelectorAll('.visually-hidden')) hidden.remove();
  return copy.textContent ?? '';
}

describe('ConnectionBadge', () => {
  it('shows the contract’s three states and the measured round trip, saying what it is', () => {
    const store = createConnectionStore();
    render(<ConnectionBadge store={store} />);
    const badge = screen.getByTestId('connection-status');
    // Before the first connection: reconnecting (the contract has no fourth state).
    expect(badge.getAttribute('data-state')).toBe('reconnecting');
    expect(visibleText(badge)).toBe('Reconnecting…');

    act(() => {
      store.setConnection('live', 'ws');
      store.recordLatency(41.6, 'ws');
    });
    expect(badge.getAttribute('data-state')).toBe('live');
    expect(visibleText(badge)).toBe('Live 42 ms round trip');
    // The number is explained in words, to the pointer (title) and to screen readers.
    for (const text of [badge.title, badge.textContent ?? '']) {
      expect(text).toContain(
        '42 ms is the round trip: how long a message takes to reach the server and come back',
      );
    }

    act(() => store.setConnection('polling', 'polling'));
    expect(badge.getAttribute('data-state')).toBe('polling');
    // Another transport: its round trip is not known yet.
    expect(visibleText(badge)).toBe('Polling');
    expect(badge.title).toBe('No live connection: the leaderboard is re-read every 5 seconds.');
  });
});

describe('ThemeToggle', () => {
  it('switches the applied theme and remembers the choice', () => {
    document.documentElement.setAttribute('data-theme', 'light');
    render(<ThemeToggle />);
    const toggle = screen.getByRole('button', { name: /^Theme/ });
    expect(toggle.getAttribute('aria-label')).toBe('Theme: light. Switch to dark');

    fireEvent.click(toggle);
    expect(document.documentElement.getAttribute('data-theme')).toBe('dark');
    expect(localStorage.getItem(THEME_STORAGE_KEY)).toBe('dark');
    expect(screen.getByRole('button', { name: /^Theme/ }).getAttribute('aria-label')).toBe(
      'Theme: dark. Switch to light',
    );

    fireEvent.click(screen.getByRole('button', { name: /^Theme/ }));
    expect(document.documentElement.getAttribute('data-theme')).toBe('light');
    expect(localStorage.getItem(THEME_STORAGE_KEY)).toBe('light');
  });
});
