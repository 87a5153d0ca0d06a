// `run`: create, start and, unless detached, wait for the process, forwarding
// signals to it; then delete the container and return runc's exit code.
import { createContainer, type CreateOptions } from './create.js';
import { native } from './native.js';
import type { StateStore } from './state.js';
import { startContainer } from './start.js';

// Every signal a caller may send to `tsrun run` that the container should get.
const FORWARDED: NodeJS.Signals[] = [
  'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2', 'SIGCONT', 'SIGWINCH', 'SIGALRM', 'SIGTSTP',
  'SIGTTIN', 'SIGTTOU', 'SIGVTALRM', 'SIGPROF', 'SIGIO', 'SIGPWR', 'SIGSYS', 'SIGTRAP', 'SIGXCPU', 'SIGXFSZ',
];

export interface RunOptions extends CreateOptions {
  detach?: boolean;
  keep?: boolean;
}

export async function runContainer(store: StateStore, opts: RunOptions): Promise<number> {
  const state = createContainer(store, opts);
  try {
    await startContainer(store, opts.id);
  } catch (e) {
    removeQuietly(store, opts.id);
    throw e;
  }
  if (opts.detach) return 0;

  const forward = (sig: NodeJS.Signals) => {
    try {
      process.kill(state.pid, sig);
    } catch {
      // it has just exited
    }
  };
  for (const sig of FORWARDED) process.on(sig, forward);
  try {
    // The init is our child (tsrun-init clones it with CLONE_PARENT).
    const res = await native().waitPidAsync(state.pid);
    return res.signal ? 128 + res.signal : res.code;
  } finally {
    for (const sig of FORWARDED) process.off(sig, forward);
    if (!opts.keep) removeQuietly(store, opts.id);
  }
}

function removeQuietly(store: StateStore, id: string): void {
  try {
    const dir = store.open(id);
    dir.destroy();
  } catch {
    // already removed
  }
}
