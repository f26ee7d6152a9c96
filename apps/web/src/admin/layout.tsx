import type { AdminMe } from '@llmpt/shared';
import { QueryClientProvider, useQuery } from '@tanstack/react-query';
import { Link, Outlet, useRouterState } from '@tanstack/react-router';
import { type ReactNode, useEffect, useRef, useState } from 'react';

import { ThemeToggle } from '../components/theme-toggle.tsx';
import { usePageTitle } from '../lib/page-title.ts';
import { checkSession, signOut } from './auth.ts';
import { adminQueryClient, adminTrpc } from './client.ts';
import { adminErrorMessage } from './errors.ts';
import { useIntegrityLive } from './integrity-live.ts';
import { useSession } from './session.ts';
import { SignIn } from './sign-in.tsx';
import { StatusMessage as AdminStatus } from '../components/status-message.tsx';
import './admin.css';

/**
 * `/admin/*`: its own header and nav, the admins' query cache, and the session gate. Signed out,
 * the sign-in form takes the view's place at the same URL, so signing in continues there.
 */
export function AdminLayout() {
  const state = useSession();
  useEffect(() => {
    if (state.status === 'checking') void checkSession();
    // Checked once per page load; later changes come from sign-in, sign-out and 401s.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  return (
    <QueryClientProvider client={adminQueryClient}>
      <div className="admin">
        <a className="skip-link" href="#admin-main">
          Skip to content
        </a>
        <AdminHeader me={state.status === 'signed-in' ? state.me : null} />
        <main id="admin-main" className="container admin-main" tabIndex={-1}>
          {state.status === 'signed-in' ? (
            <FocusOnNavigate atMount={state.via === 'form'}>
              <Outlet />
            </FocusOnNavigate>
          ) : state.status === 'signed-out' ? (
            <SignIn reason={state.reason} />
          ) : state.status === 'unavailable' ? (
            <Unavailable error={state.error} />
          ) : (
            <AdminStatus title="Checking your session…" />
          )}
        </main>
      </div>
    </QueryClientProvider>
  );
}

function Unavailable({ error }: { error: unknown }) {
  usePageTitle('Admin');
  return (
    <AdminStatus
      tone="error"
      title="The admin api isn’t answering."
      action={
        <button type="button" className="button" onClick={() => void checkSession()}>
          Retry
        </button>
      }
    >
      {adminErrorMessage(error)}
    </AdminStatus>
  );
}

/**
 * Focus on the view's heading after every navigation and right after sign-in (the view replaces
 * the form), as after a full page load; not on the first load of the page.
 */
function FocusOnNavigate({ atMount, children }: { atMount: boolean; children: ReactNode }) {
  const pathname = useRouterState({ select: (s) => s.location.pathname });
  const box = useRef<HTMLDivElement>(null);
  const skip = useRef(!atMount);
  useEffect(() => {
    if (skip.current) {
      skip.current = false;
      return;
    }
    // The view may still be loading: its heading exists in every state (loading included).
    const heading = box.current?.querySelector<HTMLElement>('h1');
    heading?.focus();
  }, [pathname]);
  return <div ref={box}>{children}</div>;
}

const NAV = [
  { to: '/admin', label: 'Overview', exact: true },
  { to: '/admin/catalogue', label: 'Catalogue', exact: false },
  { to: '/admin/flags', label: 'Flags', exact: false },
  { to: '/admin/integrity', label: 'Integrity', exact: false },
  { to: '/admin/audit', label: 'Audit log', exact: false },
] as const;

/** The queue's pending count for the nav (a 1-row page; `pending` counts all open flags). */
const PENDING_INPUT = { status: 'pending', limit: 1 } as const;

/**
 * "Integrity 3": flags waiting for an admin, beside the nav entry; kept current by the live
 * feed (`useIntegrityLive`), nothing while unknown or on failure.
 */
function PendingCount() {
  const { data } = useQuery(
    adminTrpc.admin.integrity.list.queryOptions(PENDING_INPUT, { refetchInterval: 60_000 }),
  );
  if (!data || data.pending === 0) return null;
  return (
    <span className="admin-nav-count" data-testid="integrity-pending">
      <span className="visually-hidden">, </span>
      {data.pending}
      <span className="visually-hidden"> waiting for review</span>
    </span>
  );
}

function AdminHeader({ me }: { me: AdminMe | null }) {
  useIntegrityLive(me !== null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function leave(everywhere: boolean) {
    setBusy(true);
    setError(null);
    try {
      await signOut(everywhere);
    } catch (err) {
      setError(`Couldn’t sign out: ${adminErrorMessage(err)}`);
    } finally {
      setBusy(false);
    }
  }

  return (
    <header className="site-header admin-header">
      <div className="container admin-header-inner">
        <div className="admin-header-top">
          <Link to="/" className="site-title">
            <span className="site-logo" aria-hidden="true">
              ▲
            </span>
            <span className="site-name">LLM Popularity Tracker</span>
          </Link>
          <span className="admin-badge">Admin</span>
          <div className="site-tools admin-tools">
            {me ? (
              <>
                <span className="admin-user" title="Signed in as">
                  <span className="visually-hidden">Signed in as </span>
                  {me.username}
                </span>
                <button
                  type="button"
                  className="admin-button"
                  disabled={busy}
                  onClick={() => void leave(false)}
                >
                  Sign out
                </button>
                <button
                  type="button"
                  className="admin-button"
                  disabled={busy}
                  onClick={() => void leave(true)}
                >
                  Sign out everywhere
                </button>
              </>
            ) : null}
            <ThemeToggle />
          </div>
        </div>
        {me ? (
          <nav className="admin-nav" aria-label="Admin">
            <ul>
              {NAV.map((item) => (
                <li key={item.to}>
                  <Link
                    to={item.to}
                    activeOptions={{ exact: item.exact }}
                    activeProps={{ 'aria-current': 'page' }}
                  >
                    {item.label}
                    {item.to === '/admin/integrity' ? <PendingCount /> : null}
                  </Link>
                </li>
              ))}
              {/* Served by the api (the BullMQ board), not by this app: a full page load. */}
              <li>
                <a href={me.links.queues}>Queues</a>
              </li>
              {me.links.grafana ? (
                <li>
                  <a
                    href={me.links.grafana}
                    target="_blank"
                    rel="noopener"
                    title="Opens in a new tab"
                  >
                    Grafana <span aria-hidden="true">↗</span>
                  </a>
                </li>
              ) : null}
              {me.links.prometheus ? (
                <li>
                  <a
                    href={me.links.prometheus}
                    target="_blank"
                    rel="noopener"
                    title="Opens in a new tab"
                  >
                    Prometheus <span aria-hidden="true">↗</span>
                  </a>
                </li>
              ) : null}
            </ul>
          </nav>
        ) : null}
        {error ? (
          <p className="admin-header-error" role="alert">
            {error}
          </p>
        ) : null}
      </div>
    </header>
  );
}
