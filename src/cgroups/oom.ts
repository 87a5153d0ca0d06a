// OOM notifications for `events`. The kernel's counter of OOM kills is the
// truth (v1: oom_kill in memory.oom_control; v2: oom_kill in memory.events);
// a v1 eventfd registered on memory.oom_control, or inotify on v2's
// memory.events, says when to look at it.
import fs from 'node:fs';
import path from 'node:path';
import type { CgroupRecord } from './record.js';
import { parseKeyed } from './convert.js';
import { readText } from './fs.js';

export interface OomWatch {
  /** OOM kills so far (the count the watch started from included). */
  count(): number;
  close(): void;
}

/** The kernel call a v1 watch needs (the runtime's core has it): a non-blocking eventfd for file, registered in cgroup.event_control. */
export type CgroupEventfd = (cgroupDir: string, file: string, args: string) => number;

/** notify(fired): the kernel signalled; fired is true for a v1 eventfd, which signals only OOMs (and removal). */
export function watchOom(record: CgroupRecord, notify: (fired: boolean) => void, eventfd: CgroupEventfd): OomWatch | undefined {
  const memory = record.v1.find((h) => h.controllers.includes('memory'));
  if (memory) return watchV1(memory.dir, notify, eventfd);
  if (record.mode === 'v2' && record.unified && fs.existsSync(path.join(record.unified.dir, 'memory.events'))) {
    return watchV2(record.unified.dir, notify);
  }
  return undefined;
}

function watchV1(dir: string, notify: (fired: boolean) => void, eventfd: CgroupEventfd): OomWatch {
  const count = () => parseKeyed(readText(path.join(dir, 'memory.oom_control')) ?? '').oom_kill ?? 0;
  // The eventfd is non-blocking and polled: a read parked on node's pool would keep the process from exiting.
  const fd = eventfd(dir, 'memory.oom_control', '');
  const buf = Buffer.alloc(8);
  const timer = setInterval(() => {
    try {
      if (fs.readSync(fd, buf, 0, 8, null) !== 8) return;
    } catch {
      return; // EAGAIN: nothing yet
    }
    // It also fires when the cgroup is removed: that is no OOM.
    if (fs.existsSync(dir)) notify(true);
  }, 50);
  return {
    count,
    close() {
      clearInterval(timer);
      fs.closeSync(fd);
    },
  };
}

function watchV2(dir: string, notify: (fired: boolean) => void): OomWatch {
  const file = path.join(dir, 'memory.events');
  const watcher = fs.watch(file, () => notify(false));
  watcher.on('error', () => watcher.close());
  return { count: () => parseKeyed(readText(file) ?? '').oom_kill ?? 0, close: () => watcher.close() };
}
