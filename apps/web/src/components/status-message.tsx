import type { ReactNode } from 'react';

interface StatusMessageProps {
  tone?: 'info' | 'error';
  title: string;
  children?: ReactNode;
  /** e.g. a Retry button. */
  action?: ReactNode;
}

/** The leaderboard's loading, empty and error states, in place of the table. */
export function StatusMessage({ tone = 'info', title, children, action }: StatusMessageProps) {
  return (
    <div className="status" data-tone={tone} role={tone === 'error' ? 'alert' : 'status'}>
      <p className="status-title">{title}</p>
      {children ? <p className="status-detail">{children}</p> : null}
      {action}
    </div>
  );
}
