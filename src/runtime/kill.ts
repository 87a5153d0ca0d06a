// `kill`: send a signal to the container's init.
import { constants } from 'node:os';
import { StatusError, TsrunError } from './errors.js';
import type { StateStore } from './state.js';
import { statusOf } from './status.js';

/**
 * Accepts 9, KILL, SIGKILL and kill (runc's rules). Numbers pass through as
 * given, as runc passes them to kill(2): 0 probes, an invalid one fails there.
 */
export function parseSignal(raw: string): number {
  if (raw === '') return constants.signals.SIGTERM;
  if (/^\d+$/.test(raw)) {
    return Number(raw);
  } else {
    const upper = raw.toUpperCase();
    const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
    const n = (constants.signals as Record<string, number>)[name];
    if (n !== undefined) return n;
  }
  throw new TsrunError(`unknown signal "${raw}"`);
}

export function killContainer(store: StateStore, id: string, signal: number): void {
  const dir = store.open(id, true);
  try {
    const state = dir.readState();
    if (statusOf(dir, state) === 'stopped') throw new StatusError('container not running');
    try {
      process.kill(state.pid, signal);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ESRCH') throw new StatusError('container not running');
      if (code === 'EINVAL' || code === 'ERR_UNKNOWN_SIGNAL') throw new TsrunError('unable to signal init: invalid argument');
      throw e;
    }
  } finally {
    dir.close();
  }
}
