// `events`: runc's event stream. --stats prints one stats event; otherwise a
// stats event every interval and an oom event for each OOM kill, until the
// container has stopped and its cgroup holds nothing.
import { StatusError, TsrunError } from '../runtime/errors.js';
import { isAlive } from '../runtime/proc.js';
import type { StateStore, StoredState } from '../runtime/state.js';
import { statusOf } from '../runtime/status.js';
import { openCgroup } from './index.js';
import { watchOom } from './oom.js';
import { statsJson } from './stats.js';

export interface EventsOptions {
  stats: boolean;
  intervalMs: number;
  write(line: string): void;
}

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration ("5s", "1m30s", "250ms"), in milliseconds. */
export function parseDuration(text: string): number {
  const fail = () => new TsrunError(`invalid value "${text}" for flag -interval: parse error: time: invalid duration "${text}"`);
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let ms = 0;
  let i = 0;
  const sign = text.startsWith('-') ? -1 : 1;
  if (text.startsWith('-') || text.startsWith('+')) i = 1;
  if (i >= text.length) throw fail();
  while (i < text.length) {
    re.lastIndex = i;
    const m = re.exec(text);
    if (!m) throw fail();
    ms += Number(m[1]) * UNITS[m[2]];
    i = re.lastIndex;
  }
  return sign * ms;
}

function readState(store: StateStore, id: string): StoredState {
  // Not held during the stream: other commands must go on meanwhile.
  const dir = store.open(id, true);
  try {
    const state = dir.readState();
    if (statusOf(dir, state) === 'stopped') throw new StatusError(`container with id ${id} is not running`);
    if (!state.cgroup) throw new TsrunError(`container ${id} has no cgroup (it was created by a tsrun without cgroup support)`);
    return state;
  } finally {
    dir.close();
  }
}

export async function streamEvents(store: StateStore, id: string, opts: EventsOptions): Promise<void> {
  if (opts.intervalMs <= 0) throw new TsrunError('duration interval must be greater than 0');
  const state = readState(store, id);
  const cg = openCgroup(state.cgroup!);
  const emit = (type: string, data?: unknown) => opts.write(statsJson(data === undefined ? { type, id } : { type, id, data }) + '\n');
  if (opts.stats) {
    emit('stats', cg.stats());
    return;
  }
  // One oom event per OOM kill the kernel counts (at least one per v1 notification).
  let base = 0;
  let emitted = 0;
  const report = (atLeastOne: boolean) => {
    const n = Math.max((watch?.count() ?? 0) - base - emitted, atLeastOne ? 1 : 0);
    for (let i = 0; i < n; i++) emit('oom');
    emitted += n;
  };
  const watch = watchOom(state.cgroup!, report);
  base = watch?.count() ?? 0;
  const stats = setInterval(() => {
    try {
      emit('stats', cg.stats());
    } catch {
      // the cgroup went away between the checks: the loop below ends
    }
  }, opts.intervalMs);
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      const gone = !cg.exists() || (!isAlive(state.pid, state.initStartTime) && cg.pids().length === 0);
      if (!gone) return;
      clearInterval(poll);
      resolve();
    }, 100);
  });
  clearInterval(stats);
  // An OOM kill that stopped the container is reported before the stream ends.
  report(false);
  watch?.close();
}
