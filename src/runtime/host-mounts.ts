// The record of the mounts a container without a mount namespace made on the
// host. tsrun-init appends one line per mount, "<mount id> <unique id>
// <config path>", after the mount is made detached and before it is attached
// (native/init/host-mounts.cc), so a kill -9 at any point leaves every
// attached mount recorded. delete, a failed create and the sweep of dead
// creates undo them by that identity (native/unmount.cc), newest first.
import fs from 'node:fs';
import path from 'node:path';
import { TsrunError } from '../core/errors.js';
import type { NativeCore } from '../core/native.js';
import { HOST_MOUNTS_FILE } from './state.js';

/** The kernel calls undoing needs (the runtime's core). */
export type HostMountSyscalls = Pick<NativeCore, 'flock' | 'unmountById'>;


interface RecordedMount {
  mntId: number;
  uniqueId: string;
  configPath: string;
}

export function parseHostMounts(text: string): RecordedMount[] {
  return text
    .split('\n')
    .map((l) => /^(\d+) (\d+) (\S*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ mntId: Number(m[1]), uniqueId: m[2], configPath: m[3] }));
}

/**
 * Unmounts what stateDir's record names, then removes the record. Throws (the
 * record stays, so delete can be tried again) when a mount cannot be verified.
 */
export function undoHostMounts(stateDir: string, core: HostMountSyscalls): void {
  const file = path.join(stateDir, HOST_MOUNTS_FILE);
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  let text: string;
  try {
    // An init still attaching mounts holds this lock (native/init/host-mounts.cc): wait for it.
    core.flock(fd, true, true);
    text = fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
  const failed: string[] = [];
  for (const m of parseHostMounts(text).reverse()) {
    try {
      core.unmountById(m.mntId, m.uniqueId);
    } catch (e) {
      failed.push(`${m.configPath} (mount ${m.mntId}): ${(e as Error).message}`);
    }
  }
  if (failed.length) throw new TsrunError(`cannot undo the container's mounts on the host: ${failed.join('; ')}`);
  fs.rmSync(file, { force: true });
}

/** For the sweep of dead creates: a failure is left in the record, not thrown. */
export function undoHostMountsQuietly(stateDir: string, core: HostMountSyscalls): boolean {
  try {
    undoHostMounts(stateDir, core);
    return true;
  } catch {
    return false;
  }
}
