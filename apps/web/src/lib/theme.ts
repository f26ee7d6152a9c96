import { useSyncExternalStore } from 'react';

export type Theme = 'light' | 'dark';

/** Also read by the inline script in index.html, which applies the theme before first paint. */
export const THEME_STORAGE_KEY = 'llmpt-theme';

const dark = () => globalThis.matchMedia?.('(prefers-color-scheme: dark)');
const listeners = new Set<() => void>();

function stored(): Theme | null {
  try {
    const value = localStorage.getItem(THEME_STORAGE_KEY);
    return value === 'light' || value === 'dark' ? value : null;
  } catch {
    return null; // storage disabled: follow the system
  }
}

function system(): Theme {
  return dark()?.matches ? 'dark' : 'light';
}

/** The theme on `<html data-theme>`, which the stylesheet's variables follow. */
export function appliedTheme(): Theme {
  return document.documentElement.dataset.theme === 'dark' ? 'dark' : 'light';
}

function apply(theme: Theme): void {
  if (appliedTheme() === theme && document.documentElement.dataset.theme) return;
  document.documentElement.dataset.theme = theme;
  for (const listener of [...listeners]) listener();
}

/** Switches to `theme` and remembers the choice (it then outranks the system's). */
export function chooseTheme(theme: Theme): void {
  try {
    localStorage.setItem(THEME_STORAGE_KEY, theme);
  } catch {
    // Not remembered; still applied for this page.
  }
  apply(theme);
}

let watching = false;

/** Keeps following the system while the voter hasn't chosen, and choices made in other tabs. */
function watch(): void {
  if (watching) return;
  watching = true;
  dark()?.addEventListener('change', () => {
    if (!stored()) apply(system());
  });
  window.addEventListener('storage', (event) => {
    if (event.key === THEME_STORAGE_KEY) apply(stored() ?? system());
  });
  apply(stored() ?? system());
}

function subscribe(listener: () => void): () => void {
  watch();
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The applied theme, re-rendering when it changes. */
export function useTheme(): Theme {
  return useSyncExternalStore(subscribe, appliedTheme);
}
