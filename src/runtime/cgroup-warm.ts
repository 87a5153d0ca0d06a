// The cgroup-attach warm-up. Moving a process into a cgroup takes the
// kernel's global cgroup_threadgroup_rwsem for writing, and its first writer
// after an idle moment waits one RCU grace period (5-30 ms on some kernel
// builds); a writer within about a grace period of the last one does not. On
// a host with v1 hierarchies (hybrid, v1) the container's stage 0 is moved
// into them, so create starts a native thread (native/cgroup_warm.cc) that
// rewrites this process's own cgroup.procs with "0", a no-op migration that
// takes the lock, while the main thread reads, validates and plans. Pure v2
// clones into the cgroup (clone3 CLONE_INTO_CGROUP) and needs none.
import fs from 'node:fs';
import path from 'node:path';
import { hostLayout, type HostLayout } from '../cgroups/hierarchy.js';
import type { NativeCore } from '../core/native.js';
import { ownCgroups } from './rootless-cgroup.js';

/** The pause between no-op writes: well inside one grace period, so the fast window never closes before the attach. */
export const WARM_INTERVAL_MS = 4;
/** The longest the thread runs if nothing stops it (the create's own end always does). */
export const WARM_CAP_MS = 500;

/**
 * The cgroup.procs to rewrite: this process's own cgroup (selfCgroup:
 * /proc/self/cgroup), the unified one on a hybrid host, else the first v1
 * hierarchy found in both; none on pure v2 or when none matches. Only our
 * own cgroup: "0" written anywhere else would move this process.
 */
export function warmUpTarget(layout: HostLayout, selfCgroup: string): string | undefined {
  if (layout.mode === 'v2') return undefined;
  const own = ownCgroups(selfCgroup);
  if (layout.unified && own.unified !== undefined) return path.join(layout.unified, own.unified, 'cgroup.procs');
  const key = (controllers: string[]) => [...controllers].sort().join();
  for (const h of layout.v1) {
    for (const [controllers, p] of own.v1) {
      if (key(controllers.split(',')) === key(h.controllers)) return path.join(h.mount, p, 'cgroup.procs');
    }
  }
  return undefined;
}

/** warmUpTarget of this host and process; none if either cannot be read. */
export function ownWarmUpTarget(): string | undefined {
  try {
    const layout = hostLayout();
    // Pure v2 (the usual host) reads nothing more.
    return layout.mode === 'v2' ? undefined : warmUpTarget(layout, fs.readFileSync('/proc/self/cgroup', 'utf8'));
  } catch {
    // No cgroup filesystem, no /proc: create says so itself where it matters.
    return undefined;
  }
}

/**
 * What the launcher says when another process's warm-up is running (one runs
 * at a time, host-wide, under an flock: native/launcher/main.c): its writes
 * keep the fast window open for this create too, and a second writer would
 * only add to the lock every fork on the host waits behind.
 */
export const WARM_ELSEWHERE = 'elsewhere';

/**
 * The launcher's warm-up (native/launcher/main.c), taken over once: bin/tsrun
 * starts one before node for the commands that attach, so the grace period
 * passes while node starts; it runs until the pipe end it names here is closed.
 * WARM_ELSEWHERE when another one runs; undefined when there is none (a
 * library caller, another command).
 */
export function takeLauncherWarmUp(env: NodeJS.ProcessEnv = process.env): number | typeof WARM_ELSEWHERE | undefined {
  const value = env.TSRUN_WARM_FD;
  // Once: a second create in this process, or a hook, must not close it again.
  delete env.TSRUN_WARM_FD;
  if (value === WARM_ELSEWHERE) return WARM_ELSEWHERE;
  return value !== undefined && /^\d+$/.test(value) && Number(value) > 2 ? Number(value) : undefined;
}

/**
 * Starts the warm-up where this host needs it (targetOf gives warmUpTarget's
 * answer), or keeps the launcher's going (handOver, its pipe end: no thread of
 * ours then; ending ours ends it), or leaves it to another process's
 * (WARM_ELSEWHERE); returns what ends it (idempotent; a no-op if nothing
 * started).
 */
export function warmCgroupAttach(
  core: Pick<NativeCore, 'cgroupWarmStart' | 'cgroupWarmStop'>,
  targetOf: () => string | undefined,
  handOver = takeLauncherWarmUp(),
): () => void {
  // Nothing to find out then: reading the host's layout costs more than the rest.
  if (handOver === WARM_ELSEWHERE) return () => {};
  const target = targetOf();
  if (target === undefined) {
    if (handOver !== undefined) closeQuietly(handOver);
    return () => {};
  }
  if (!core.cgroupWarmStart(target, WARM_INTERVAL_MS, WARM_CAP_MS, handOver)) return () => {};
  let running = true;
  return () => {
    if (running) core.cgroupWarmStop();
    running = false;
  };
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // not ours after all (EBADF): nothing to stop
  }
}
