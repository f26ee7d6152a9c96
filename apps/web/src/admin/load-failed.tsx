import { StatusMessage } from '../components/status-message.tsx';
import { adminErrorMessage } from './errors.ts';

/** A view whose data did not load: what failed, why, and a Retry button. */
export function LoadFailed({
  what,
  error,
  retry,
}: {
  /** "the catalogue", "the flags", … */
  what: string;
  error: unknown;
  retry: () => unknown;
}) {
  return (
    <StatusMessage
      tone="error"
      title={`Can’t load ${what}.`}
      action={
        <button type="button" className="button" onClick={() => void retry()}>
          Retry
        </button>
      }
    >
      {adminErrorMessage(error)}
    </StatusMessage>
  );
}
