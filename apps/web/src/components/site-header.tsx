import { Link } from '@tanstack/react-router';

import type { ConnectionStore } from '../lib/live/connection-store.ts';
import { ConnectionBadge } from './connection-badge.tsx';
import { ThemeToggle } from './theme-toggle.tsx';

export function SiteHeader({ store }: { store: ConnectionStore }) {
  return (
    <header className="site-header">
      <div className="container site-header-inner">
        <Link to="/" className="site-title">
          <span className="site-logo" aria-hidden="true">
            ▲
          </span>
          <span className="site-name">LLM Popularity Tracker</span>
        </Link>
        <div className="site-tools">
          <Link to="/methodology" className="site-nav-link">
            How it works
          </Link>
          <ConnectionBadge store={store} />
          <ThemeToggle />
        </div>
      </div>
    </header>
  );
}
