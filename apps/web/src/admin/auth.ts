import type { AdminSignInInput } from '@llmpt/shared';

import { adminClient } from './client.ts';
import { isUnauthorized } from './errors.ts';
import { session } from './session.ts';

/** Asks the api who is signed in (the cookie decides): signed in, signed out, or unavailable. */
export async function checkSession(): Promise<void> {
  session.set({ status: 'checking' });
  try {
    const me = await adminClient.admin.auth.me.query();
    session.set({ status: 'signed-in', me, via: 'load' });
  } catch (error) {
    session.set(
      isUnauthorized(error)
        ? { status: 'signed-out', reason: 'none' }
        : { status: 'unavailable', error },
    );
  }
}

/** Throws the api's error (wrong password, lockout) for the form to show. */
export async function signIn(input: AdminSignInInput): Promise<void> {
  const me = await adminClient.admin.auth.signIn.mutate(input);
  session.set({ status: 'signed-in', me, via: 'form' });
}

/**
 * Signs this browser out (or every session of the account). A session the api already dropped
 * (401) is as signed out as it gets; any other failure is thrown and the admin stays signed in
 * on screen, since the session may still be alive on the server.
 */
export async function signOut(everywhere: boolean): Promise<void> {
  try {
    if (everywhere) await adminClient.admin.auth.signOutEverywhere.mutate();
    else await adminClient.admin.auth.signOut.mutate();
  } catch (error) {
    if (!isUnauthorized(error)) throw error;
  }
  session.set({ status: 'signed-out', reason: 'signed-out' });
}
