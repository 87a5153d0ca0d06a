// `kill`: send a signal to the container's init.
import { constants } from 'node:os';
import { StatusError, TsrunError } from './errors.js';
import type { StateStore } from './state.js';
import { statusOf } from './status.js';

/** Accepts 9, KILL, SIGKILL and kill (runc's rules). */
export function parseSignal(raw: string): number {
  if (/^\d+$/.test(raw)) {
    const n = Number(raw);
    if (n > 0 && n <= 64) return n;
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
    process.kill(state.pid, signal);
  } finally {
    dir.close();
  }
}
