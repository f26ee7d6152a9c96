import { Outlet, useRouterState } from '@tanstack/react-router';
import { useEffect, useRef } from 'react';

import { SiteHeader } from '../components/site-header.tsx';
import { connectionStore } from '../lib/trpc.ts';

/** Header, skip link and the page; moves focus to the new page's heading after a navigation. */
export function RootLayout() {
  const pathname = useRouterState({ select: (s) => s.location.pathname });
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    // A screen reader user lands on the new page's title, as after a full page load.
    const heading = main.current?.querySelector<HTMLElement>('h1');
    (heading ?? main.current)?.focus({ preventScroll: false });
  }, [pathname]);

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <SiteHeader store={connectionStore} />
      <main id="main" ref={main} className="container" tabIndex={-1}>
        <Outlet />
      </main>
    </>
  );
}
