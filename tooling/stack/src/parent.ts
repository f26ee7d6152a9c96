const POLL_MS = 500;

/**
 * Calls `onGone` once when this process's parent exits (we are re-parented, so process.ppid
 * changes): `npm start` killed without passing the signal on (SIGKILL, a closed terminal)
 * must not leave the launcher and its stack running. Returns a function that stops watching.
 */
export function onParentExit(onGone: () => void): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone();
  }, POLL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
