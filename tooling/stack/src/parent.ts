const POLL_MS = 500;

/**
 * Calls `onGone` once when this process's parent exits (we are re-parented, so process.ppid
 * changes): `npm start` killed without passing the signal on (SIGKILL, a closed terminal)
 * must not leave the launcher and its stack running. `parent` is the pid the parent had when
 * it started us, if known (npm's scripts pass it as LLMPT_PARENT_PID): a parent that died
 * while we were still loading is then noticed too. Returns a function that stops watching.
 */
export function onParentExit(onGone: () => void, parent = process.ppid): () => void {
  const check = () => {
    if (process.ppid === parent) return false;
    clearInterval(timer);
    onGone();
    return true;
  };
  const timer = setInterval(check, POLL_MS);
  timer.unref();
  queueMicrotask(check);
  return () => clearInterval(timer);
}
