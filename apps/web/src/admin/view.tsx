import { Link } from '@tanstack/react-router';
import type { ReactNode } from 'react';

import { usePageTitle } from '../lib/page-title.ts';

interface ViewHeadingProps {
  title: string;
  children?: ReactNode;
  /** Buttons on the heading's line, e.g. "Add model". */
  actions?: ReactNode;
}

/**
 * Every admin view's heading: the h1 (focused after navigation, so present in every state of
 * the view, loading included), the document title, one line of what the view is for.
 */
export function ViewHeading({ title, children, actions }: ViewHeadingProps) {
  usePageTitle(`${title} · Admin`);
  return (
    <div className="admin-view-heading">
      <div>
        <h1 tabIndex={-1}>{title}</h1>
        {children ? <p className="muted">{children}</p> : null}
      </div>
      {actions ? <div className="admin-view-actions">{actions}</div> : null}
    </div>
  );
}

/** `/admin/<anything else>`: said in the admin layout, with the way back. */
export function AdminNotFound() {
  return (
    <>
      <ViewHeading title="Not found">There is no such admin page.</ViewHeading>
      <Link to="/admin" className="button admin-link-button">
        Go to the overview
      </Link>
    </>
  );
}
