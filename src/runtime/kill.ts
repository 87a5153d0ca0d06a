// `kill`: send a signal to the container's init.
import { constants } from 'node:os';
import { StatusError, TsrunError } from '../core/errors.js';
import type { Cgroup, CgroupRecord } from '../cgroups/index.js';
import type { StateStore } from './state.js';
import { withContainer } from './container.js';

/** Opens a container's cgroup from its record (cgroups/index.ts openCgroup; the lite entry's hands the command over instead). */
export type CgroupOpener = (record: CgroupRecord) => Cgroup;

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

/**
 * all: every process in the container's cgroup (runc's kill --all), not only
 * the init. The cgroup, where one is needed, is opened before any signal goes.
 */
export function killContainer(store: StateStore, id: string, signal: number, all: boolean, openCgroup: CgroupOpener): void {
  withContainer(store, id, 'shared', (c) => {
    const { state, status } = c;
    if (all && state.cgroup) {
      // As runc: a stopped container's cgroup may still hold processes (no pid namespace); they get it too.
      const cg = openCgroup(state.cgroup);
      if (status === 'stopped' && !cg.exists()) return;
      try {
        cg.kill(signal);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EINVAL' || code === 'ERR_UNKNOWN_SIGNAL') throw new TsrunError('unable to signal init: invalid argument');
        throw e;
      }
      return;
    }
    c.require('kill');
    // A v1-frozen init dies of SIGKILL only once thawed (runc thaws too).
    const thaw = status === 'paused' && signal === constants.signals.SIGKILL && state.cgroup ? openCgroup(state.cgroup) : undefined;
    try {
      process.kill(state.pid, signal);
      thaw?.thaw();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ESRCH') throw new StatusError('container not running');
      if (code === 'EINVAL' || code === 'ERR_UNKNOWN_SIGNAL') throw new TsrunError('unable to signal init: invalid argument');
      throw e;
    }
  });
}
