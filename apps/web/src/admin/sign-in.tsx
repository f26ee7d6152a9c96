import { type FormEvent, useEffect, useId, useRef, useState } from 'react';

import { signIn } from './auth.ts';
import { adminErrorMessage, isTooManyRequests, isUnauthorized, lockoutMessage } from './errors.ts';

interface SignInProps {
  reason: 'none' | 'ended' | 'signed-out';
}

const NOTICE: Record<SignInProps['reason'], string | null> = {
  none: null,
  ended: 'Your session ended — sign in again.',
  'signed-out': 'You signed out.',
};

/**
 * Shown in place of any admin view while signed out, at the URL the admin asked for: signing in
 * shows that view. Errors stay next to the form (wrong password, lockout with its wait).
 */
export function SignIn({ reason }: SignInProps) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const usernameRef = useRef<HTMLInputElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const errorId = useId();

  useEffect(() => {
    usernameRef.current?.focus();
  }, []);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (busy) return;
    if (username.trim() === '' || password === '') {
      setError('Enter your username and password.');
      (username.trim() === '' ? usernameRef : passwordRef).current?.focus();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await signIn({ username: username.trim(), password });
    } catch (err) {
      setError(
        isTooManyRequests(err)
          ? `${lockoutMessage(err)}.`
          : isUnauthorized(err)
            ? 'Wrong username or password.'
            : adminErrorMessage(err),
      );
      setPassword('');
      setBusy(false);
      passwordRef.current?.focus();
    }
  }

  const notice = NOTICE[reason];
  return (
    <div className="admin-signin">
      <form
        className="admin-card admin-signin-form"
        onSubmit={(e) => void submit(e)}
        noValidate
        aria-labelledby="admin-signin-title"
        aria-describedby={error ? errorId : undefined}
      >
        <h1 id="admin-signin-title" tabIndex={-1}>
          Sign in
        </h1>
        <p className="muted">The admins’ dashboard of the LLM Popularity Tracker.</p>
        {notice ? (
          <p className="admin-notice" role="status">
            {notice}
          </p>
        ) : null}
        <div className="admin-field">
          <label htmlFor="admin-username">Username</label>
          <input
            ref={usernameRef}
            id="admin-username"
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        </div>
        <div className="admin-field">
          <label htmlFor="admin-password">Password</label>
          <input
            ref={passwordRef}
            id="admin-password"
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-invalid={error ? true : undefined}
          />
        </div>
        {/* Always in the layout: a message appearing must not move the button. */}
        <p id={errorId} className="admin-field-error admin-signin-error" role="alert">
          {error}
        </p>
        <button type="submit" className="button" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}
