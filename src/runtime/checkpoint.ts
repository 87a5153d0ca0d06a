// `checkpoint`: CRIU dumps the running container into an image directory,
// then (unless --leave-running or --pre-dump) the container is gone, as
// with runc. CRIU freezes the container's cgroup for the dump; whatever
// happens, tsrun thaws it again if it was not paused before.
import fs from 'node:fs';
import path from 'node:path';
import { openCgroup } from '../cgroups/index.js';
import { sleepMs } from '../cgroups/fs.js';
import { StatusError, TsrunError } from '../core/errors.js';
import { destroyContainer, waitUntilGone } from './delete.js';
import { commonCriuOpts, externalMounts, freezerDir, imageDir, INTERRUPTING, openCriuDir, type CriuCommonOptions } from './criu-opts.js';
import { requireCriuFeatures, runCriu, type CriuFeatures } from './criu-rpc.js';
import { writeFileAtomic, type StateStore, type StoredState } from './state.js';
import { statusOf } from './status.js';
import { readProcStat } from './proc.js';

export interface CheckpointOptions extends CriuCommonOptions {
  id: string;
  parentPath?: string;
  leaveRunning?: boolean;
  preDump?: boolean;
  pageServer?: string;
  statusFd?: number;
  tcpSkipInFlight?: boolean;
  linkRemap?: boolean;
  onWarning?(message: string): void;
}

/** runc's name for the file with the init's stdio, which restore reattaches. */
export const DESCRIPTORS_FILE = 'descriptors.json';
/**
 * runc's names for the namespaces a config joins by path, in the images:
 * CRIU neither dumps nor makes them; restore hands it the config's.
 */
export const EXTERNAL_NS_KEYS = { network: 'extRootNetNS', pid: 'extRootPidNS' } as const;

export async function checkpointContainer(store: StateStore, o: CheckpointOptions): Promise<void> {
  // Shared while CRIU works, as runc's other commands go on during a dump: a lazy
  // dump lasts until the restoring side has every page, and state, list, kill
  // must answer meanwhile. Exclusive for the removal.
  const dir = store.open(o.id, true);
  let checkpointLock: number | undefined;
  try {
    const state = dir.readState();
    // One dump at a time: a second CRIU would find the cgroup frozen by the first, and its
    // ending would thaw the container under the first's dump. Held until this one ends.
    checkpointLock = dir.tryLockCheckpoint(store.core);
    if (checkpointLock === undefined) {
      throw new StatusError(`container ${o.id} is being checkpointed by another tsrun checkpoint: wait until it ends, then checkpoint again`);
    }
    const status = statusOf(dir, state);
    if (status !== 'running' && status !== 'paused') throw new StatusError('container not running');
    const needs: Array<[keyof CriuFeatures, string]> = [];
    if (o.preDump) needs.push(['mem_track', '--pre-dump']);
    else if (o.parentPath) needs.push(['mem_track', '--parent-path']);
    if (o.lazyPages) needs.push(['lazy_pages', '--lazy-pages']);
    // runc's checks: lazy pages are served over --page-server; --status-fd must be open for writing.
    if (o.lazyPages && !o.pageServer) {
      throw new TsrunError('--lazy-pages needs --page-server ADDRESS:PORT: the dump serves the memory there to `criu lazy-pages` on the restoring side');
    }
    const statusFd = o.lazyPages && o.statusFd !== undefined ? checkStatusFd(o.statusFd) : undefined;
    await requireCriuFeatures(store.core, o.criuPath, needs);
    const images = imageDir(o.imagePath);
    const work = o.workPath ? path.resolve(o.workPath) : images;
    const imagesFd = openCriuDir(images, true, 'image path');
    let workFd: number | undefined;
    try {
      workFd = work === images ? imagesFd : openCriuDir(work, true, 'work path');
      const stdio = describeStdio(state.pid);
      const opts = dumpOpts(state, o, imagesFd, workFd);
      const external = [...stdio.external, ...externalNamespaces(state)];
      if (external.length) opts.external = external;
      writeFileAtomic(path.join(images, DESCRIPTORS_FILE), JSON.stringify(stdio.descriptors));
      const cg = state.cgroup ? openCgroup(state.cgroup) : undefined;
      try {
        await runCriu({
          core: store.core,
          criuPath: o.criuPath,
          type: o.preDump ? 'PRE_DUMP' : 'DUMP',
          opts,
          logPath: path.join(work, 'dump.log'),
          // CRIU is killed, the container thawed and left as it was.
          interruptOn: INTERRUPTING,
          // Lazy pages: the images are written and the page server listens; the dump now waits
          // until the restoring side has every page. runc's signal to whoever waits: \0, then close.
          onNotify(script) {
            if (script === 'status-ready' && statusFd !== undefined) signalReady(statusFd, o.onWarning);
          },
        });
      } finally {
        // CRIU thaws what it froze, unless it died first: a container that was running is thawed,
        // also when CRIU died halfway through freezing it (v1's FREEZING, which isFrozen() does not count,
        // goes on to FROZEN by itself).
        if (status === 'running' && cg?.exists()) {
          try {
            cg.thaw();
          } catch (e) {
            o.onWarning?.(`cannot thaw the container's cgroup after the checkpoint: ${(e as Error).message}`);
          }
        }
      }
    } finally {
      if (workFd !== undefined && workFd !== imagesFd) fs.closeSync(workFd);
      fs.closeSync(imagesFd);
    }
    if (o.leaveRunning || o.preDump) return;
    if (!dir.lockExclusive(store.core)) return; // deleted meanwhile
    // CRIU killed the container's processes after the dump; what runc does next: destroy it.
    try {
      process.kill(state.pid, 'SIGKILL');
    } catch {
      // gone, as expected
    }
    waitUntilGone(state.pid, state.initStartTime, undefined, store.core);
    if (state.config.linux?.namespaces?.some((n) => n.type === 'pid' && n.path)) waitUntilReaped(state, o.onWarning);
    destroyContainer(dir, state, store.core, { onWarning: o.onWarning });
  } finally {
    if (checkpointLock !== undefined) fs.closeSync(checkpointLock);
    dir.close();
  }
}

/**
 * In a pid namespace joined by path, the dumped init's pid there stays taken
 * until its parent (not tsrun's, after a detached run) reaps it, and CRIU
 * restores it under that very pid: a restore right after would fail with
 * "Can't fork for N: File exists". Waits (a few seconds at most) until it is.
 */
function waitUntilReaped(state: StoredState, warn?: (m: string) => void): void {
  const deadline = Date.now() + 5_000;
  while (isProcess(state.pid, state.initStartTime)) {
    if (Date.now() > deadline) {
      warn?.(`the checkpointed init (pid ${state.pid}) is not reaped yet by its parent: a restore into its pid namespace needs its pid free`);
      return;
    }
    sleepMs(20);
  }
}

/** pid is (still) the process that started at startTime, a zombie too. */
function isProcess(pid: number, startTime: number): boolean {
  return readProcStat(pid)?.startTime === startTime;
}

function dumpOpts(state: StoredState, o: CheckpointOptions, imagesFd: number, workFd: number): Record<string, unknown> & { images_dir_fd: number } {
  const opts: Record<string, unknown> & { images_dir_fd: number } = {
    ...commonCriuOpts(o),
    images_dir_fd: imagesFd,
    work_dir_fd: workFd,
    log_file: 'dump.log',
    pid: state.pid,
    root: state.rootfs,
    leave_running: !!o.leaveRunning,
    tcp_skip_in_flight: !!o.tcpSkipInFlight,
    link_remap: !!o.linkRemap,
    // As runc: a terminal's master is outside the container; restore makes a new one.
    orphan_pts_master: true,
    ext_mnt: externalMounts(state.config, 'dump', maskedFiles(state), state.cgroup),
  };
  const freezer = freezerDir(state.cgroup);
  if (freezer) opts.freeze_cgroup = freezer;
  // Iterative migration: memory tracking, and the previous images to diff against.
  if (o.parentPath) opts.parent_img = o.parentPath;
  if (o.preDump || o.parentPath) opts.track_mem = true;
  if (o.pageServer) opts.ps = pageServer(o.pageServer);
  return opts;
}

/** --status-fd, as runc checks it: an open fd this process may write to. */
function checkStatusFd(fd: number): number {
  // fdinfo has the fd's open flags (octal), as fcntl(F_GETFL) would give them.
  let flags: number;
  try {
    flags = parseInt(/^flags:\s*([0-7]+)/m.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1] ?? '0', 8);
  } catch {
    throw new TsrunError(`invalid --status-fd argument ${fd}: not an open file descriptor`);
  }
  if ((flags & (fs.constants.O_WRONLY | fs.constants.O_RDWR)) === 0) throw new TsrunError(`invalid --status-fd argument ${fd}: not writable`);
  return fd;
}

function signalReady(fd: number, warn?: (m: string) => void): void {
  try {
    fs.writeSync(fd, Buffer.from([0]));
  } catch (e) {
    warn?.(`cannot write \\0 to --status-fd ${fd}: ${(e as Error).message}`);
  }
  try {
    fs.closeSync(fd);
  } catch {
    // closed by the writer's error already
  }
}

/** --page-server ADDRESS:PORT. */
function pageServer(spec: string): { address: string; port: number } {
  const at = spec.lastIndexOf(':');
  const port = Number(spec.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new StatusError(`--page-server: ${JSON.stringify(spec)} is not ADDRESS:PORT`);
  }
  return { address: spec.slice(0, at), port };
}

/** The masked paths that are files in the container (bound over by /dev/null); directories are tmpfs CRIU dumps. */
function maskedFiles(state: StoredState): string[] {
  return (state.config.linux?.maskedPaths ?? []).filter((p) => {
    try {
      return !fs.statSync(path.join(`/proc/${state.pid}/root`, p)).isDirectory();
    } catch {
      return false;
    }
  });
}

/**
 * A network or pid namespace the config joins by path (an engine's netns
 * with its veth, a pod's pid namespace) is not the container's to dump:
 * CRIU records it under runc's key, and restore gives it the namespace its
 * config names. (A pid namespace joined by path has its init outside the
 * container, which CRIU cannot dump otherwise: "Can't dump a pid namespace
 * without the process init".)
 */
function externalNamespaces(state: StoredState): string[] {
  const out: string[] = [];
  for (const [type, key] of Object.entries(EXTERNAL_NS_KEYS)) {
    if (!state.config.linux?.namespaces?.some((n) => n.type === type && n.path)) continue;
    const proc = type === 'network' ? 'net' : type;
    const ino = fs.statSync(`/proc/${state.pid}/ns/${proc}`).ino;
    out.push(`${proc}[${ino}]:${key}`);
  }
  return out;
}

/**
 * What the init's 0, 1, 2 are, as runc records them, so that restore can
 * hand CRIU its own stdio in their place: pipes by runc's "pipe:[inode]";
 * a file on a mount outside the container (the host's /dev/null of a
 * detached run) as CRIU's external "file[mnt_id:inode]", which the dump must
 * name as external (returned). Anything else is dumped as it is.
 */
function describeStdio(pid: number): { descriptors: string[]; external: string[] } {
  const mounts = containerMountIds(pid);
  const external: string[] = [];
  const descriptors = [0, 1, 2].map((fd) => {
    let link: string;
    try {
      link = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      return '/dev/null';
    }
    if (!link.startsWith('/')) return link;
    const mnt = /^mnt_id:\s*(\d+)/m.exec(readOr(`/proc/${pid}/fdinfo/${fd}`));
    if (!mnt || mounts.has(Number(mnt[1]))) return link;
    const key = `file[${Number(mnt[1]).toString(16)}:${fs.statSync(`/proc/${pid}/fd/${fd}`, { bigint: true }).ino.toString(16)}]`;
    external.push(key);
    return key;
  });
  return { descriptors, external: [...new Set(external)] };
}

function containerMountIds(pid: number): Set<number> {
  return new Set(readOr(`/proc/${pid}/mountinfo`).split('\n').filter(Boolean).map((l) => Number(l.split(' ')[0])));
}

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
