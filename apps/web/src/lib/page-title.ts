import { useEffect } from 'react';

const SITE = 'LLM Popularity Tracker';

/** Sets the document title for the page shown (read first by screen readers after navigating). */
export function usePageTitle(title: string | null): void {
  useEffect(() => {
    document.title = title ? `${title} · ${SITE}` : SITE;
  }, [title]);
}
