// Whether a container's cgroup is frozen, from its record alone: every
// command's status check (runtime/status.ts) asks it, so it stands apart from
// the cgroup classes, whose resource writes and stats the lite entry's commands
// (state, list, kill, start) do not load.
import path from 'node:path';
import { readText } from './fs.js';
import type { CgroupRecord } from './record.js';

/** The container's directory in its v1 freezer hierarchy, if it is in one. */
export const v1FreezerDir = (record: CgroupRecord): string | undefined => record.v1.find((h) => h.controllers.includes('freezer'))?.dir;

/** v1's freezer.state (FROZEN, FREEZING, THAWED), or undefined without a freezer hierarchy or when unreadable. */
export function v1FreezerState(record: CgroupRecord): string | undefined {
  const d = v1FreezerDir(record);
  return d ? readText(path.join(d, 'freezer.state'))?.trim() : undefined;
}

/**
 * v1 with a freezer hierarchy: its state is FROZEN (FREEZING is not frozen
 * yet). v2 (and systemd's scopes): cgroup.freeze is 1. A hybrid host without
 * the v1 freezer: the unified cgroup's cgroup.events says frozen 1.
 */
export function cgroupIsFrozen(record: CgroupRecord): boolean {
  if (record.mode === 'v2') return readText(path.join(record.unified!.dir, 'cgroup.freeze'))?.trim() === '1';
  if (v1FreezerDir(record)) return v1FreezerState(record) === 'FROZEN';
  const u = record.unified?.dir;
  return u ? /^frozen 1$/m.test(readText(path.join(u, 'cgroup.events')) ?? '') : false;
}
