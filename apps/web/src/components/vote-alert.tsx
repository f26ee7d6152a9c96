import type { VoteAlert as Alert } from '../lib/votes/vote-controller.ts';

interface VoteAlertProps {
  alert: Alert | null;
  onDismiss: () => void;
}

/**
 * A failed vote's explanation (e.g. rate limited: when to try again), until dismissed or the next
 * vote succeeds. Fixed at the bottom of the viewport, so it never pushes the table under the
 * pointer; the alert region is always in the page so each new message is announced.
 */
export function VoteAlert({ alert, onDismiss }: VoteAlertProps) {
  return (
    <div role="alert" className="toast-region">
      {alert ? (
        <div className="toast" key={alert.id}>
          <p>{alert.message}</p>
          <button type="button" className="toast-close" aria-label="Dismiss" onClick={onDismiss}>
            ×
          </button>
        </div>
      ) : null}
    </div>
  );
}
