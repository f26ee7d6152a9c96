interface ErrorBannerProps {
  message: string | null;
  onDismiss: () => void;
}

/**
 * A failed vote's explanation (e.g. rate limited: when to try again), until dismissed. The
 * live region is always in the page so screen readers announce each new message.
 */
export function ErrorBanner({ message, onDismiss }: ErrorBannerProps) {
  return (
    <div role="alert" className="banner-region">
      {message ? (
        <div className="banner">
          <p>{message}</p>
          <button type="button" className="banner-close" aria-label="Dismiss" onClick={onDismiss}>
            ×
          </button>
        </div>
      ) : null}
    </div>
  );
}
