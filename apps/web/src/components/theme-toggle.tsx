import { chooseTheme, useTheme } from '../lib/theme.ts';

/** Switches between light and dark; the choice is remembered (`lib/theme.ts`). */
export function ThemeToggle() {
  const theme = useTheme();
  const other = theme === 'dark' ? 'light' : 'dark';
  return (
    <button
      type="button"
      className="icon-button"
      aria-label={`Theme: ${theme}. Switch to ${other}`}
      title={`Switch to the ${other} theme`}
      onClick={() => chooseTheme(other)}
    >
      <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
        {theme === 'dark' ? (
          <path d="M21 12.8A9 9 0 1 1 11.2 3a7 7 0 0 0 9.8 9.8z" />
        ) : (
          <>
            <circle cx="12" cy="12" r="4.5" />
            <path
              d="M12 1.5v3M12 19.5v3M4.6 4.6l2.1 2.1M17.3 17.3l2.1 2.1M1.5 12h3M19.5 12h3M4.6 19.4l2.1-2.1M17.3 6.7l2.1-2.1"
              strokeWidth="2"
              strokeLinecap="round"
              stroke="currentColor"
            />
          </>
        )}
      </svg>
    </button>
  );
}
