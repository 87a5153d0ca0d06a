// `events`: runc's event stream. With stats only, one stats event; otherwise a
// stats event every interval and an oom event for each OOM kill, until the
// container has stopped and its cgroup holds nothing.
import { cgroupStats, emptyStats, statsJson, watchOom, type Stats } from '../cgroups/index.js';
import { TsrunError } from '../core/errors.js';
import { isAlive } from './proc.js';
import type { StateStore } from './state.js';
import { withContainer } from './container.js';
import { containerCgroup } from './container-cgroup.js';

export interface EventsOptions {
  /** One stats event, then the stream ends (`events --stats`). */
  stats?: boolean;
  /** How often a stats event comes (ms). */
  intervalMs?: number;
  /** Told why a one-shot stats event is empty (a rootless container with no cgroup of its own). */
  warn?: (message: string) => void;
}

/** runc's event shapes: `stats` carries runc's types/events.go Stats. */
export type ContainerEvent = { type: 'stats'; id: string; data: Stats } | { type: 'oom'; id: string };

/** runc's JSON line of an event (uint64 counters printed exactly). */
export function eventJson(event: ContainerEvent): string {
  return statsJson(event);
}

/**
 * The container's events, as they come. Not locked meanwhile: other commands
 * must go on. Ending the iteration early (break, return()) stops the watching.
 */
export async function* containerEvents(store: StateStore, id: string, opts: EventsOptions = {}): AsyncGenerator<ContainerEvent> {
  const intervalMs = opts.intervalMs ?? 5000;
  if (intervalMs <= 0) throw new TsrunError('duration interval must be greater than 0');
  const { state, cg } = withContainer(store, id, 'exclusive', (c) => {
    c.require('events');
    // As runc: a rootless container made without cgroup permission has no
    // counters, so its one-shot stats are Go's zero Stats (exit 0), said so on stderr.
    if (opts.stats && !c.state.cgroup) return { state: c.state, cg: undefined };
    return { state: c.state, cg: containerCgroup(c) };
  });
  if (!cg) {
    opts.warn?.(`container ${id} has no cgroup of its own (a rootless container created without permission to make one): its stats are all zero`);
    yield { type: 'stats', id, data: emptyStats() };
    return;
  }
  if (opts.stats) {
    yield { type: 'stats', id, data: cgroupStats(cg) };
    return;
  }
  const queue: ContainerEvent[] = [];
  let wake: (() => void) | undefined;
  const push = (e: ContainerEvent) => {
    queue.push(e);
    wake?.();
  };
  // One oom event per OOM kill the kernel counts (at least one per v1 notification).
  let base = 0;
  let emitted = 0;
  const report = (atLeastOne: boolean) => {
    const n = Math.max((watch?.count() ?? 0) - base - emitted, atLeastOne ? 1 : 0);
    for (let i = 0; i < n; i++) push({ type: 'oom', id });
    emitted += n;
  };
  const watch = watchOom(state.cgroup!, report, (dir, file, args) => store.core.cgroupEventfd(dir, file, args));
  base = watch?.count() ?? 0;
  let ended = false;
  const stats = setInterval(() => {
    try {
      push({ type: 'stats', id, data: cgroupStats(cg) });
    } catch {
      // the cgroup went away between the checks: the poll below ends the stream
    }
  }, intervalMs);
  const poll = setInterval(() => {
    const gone = !cg.exists() || (!isAlive(state.pid, state.initStartTime) && cg.pids().length === 0);
    if (!gone) return;
    clearInterval(poll);
    clearInterval(stats);
    // An OOM kill that stopped the container is reported before the stream ends.
    report(false);
    ended = true;
    wake?.();
  }, 100);
  try {
    for (;;) {
      while (queue.length) yield queue.shift()!;
      if (ended) return;
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    clearInterval(poll);
    clearInterval(stats);
    watch?.close();
  }
}
