import { Link } from '@tanstack/react-router';

import { usePageTitle } from '../lib/page-title.ts';

/** Any path the router doesn't know. */
export function NotFoundPage() {
  usePageTitle('Page not found');
  return (
    <div className="page-heading notice-page">
      <h1 tabIndex={-1}>Page not found</h1>
      <p className="muted">There is no page at this address.</p>
      <Link to="/" className="button">
        Back to the leaderboard
      </Link>
    </div>
  );
}
