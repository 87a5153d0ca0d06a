// `restore`: a new container, under the given id, from a checkpoint's images
// and the bundle's config. Its cgroup is made first and CRIU is placed in
// it, so the restored processes are born there; CRIU's notifications run
// the prestart and createRuntime hooks and record the state. On any failure
// nothing is left: no state dir, cgroup, pid file or process.
import fs from 'node:fs';
import path from 'node:path';
import { constants } from 'node:os';
import type { Config } from '../spec/types.js';
import { finishCreate, openCgroup, planContainerCgroup, setUpCgroup, type Cgroup } from '../cgroups/index.js';
import { ConfigPathError, TsrunError, UnsupportedError } from '../core/errors.js';
import { runHooks, runHooksWarning, type HookStateBase } from './hooks.js';
import { commonCriuOpts, externalMounts, imageDir, INTERRUPTING, openCriuDir, type CriuCommonOptions } from './criu-opts.js';
import { runCriu } from './criu-rpc.js';
import { DESCRIPTORS_FILE, EXTERNAL_NS_KEYS } from './checkpoint.js';
import { destroyContainer, waitUntilGone } from './delete.js';
import { SignalForwarder } from './foreground.js';
import type { NativeCore } from '../core/native.js';
import { readBundle } from './bundle.js';
import { recordLiveContainer, type StateStore, type StoredState } from './state.js';
import { undoCriuYards, YardRecorder } from './criu-yards.js';
import { ownWarmUpTarget, warmCgroupAttach } from './cgroup-warm.js';
import { OCI_VERSION } from '../spec/version.js';

/** The socket `criu lazy-pages` listens on, in its work directory (CRIU's name). */
const LAZY_PAGES_SOCKET = 'lazy-pages.socket';

export interface RestoreOptions extends CriuCommonOptions {
  id: string;
  bundle: string;
  detach?: boolean;
  pidFile?: string;
  consoleSocket?: string;
  noSubreaper?: boolean;
  noPivot?: boolean;
  lsmProfile?: string;
  lsmMountContext?: string;
  onWarning?(message: string): void;
}

/** Returns the exit code: 0 once detached, else the restored process's. */
export async function restoreContainer(store: StateStore, o: RestoreOptions): Promise<number> {
  // As create's (cgroup-warm.ts): CRIU's move into the v1 hierarchies then waits no grace period.
  const endWarmUp = warmCgroupAttach(store.core, ownWarmUpTarget);
  try {
    return await restoreWarmed(store, o, endWarmUp);
  } finally {
    endWarmUp();
  }
}

async function restoreWarmed(store: StateStore, o: RestoreOptions, endWarmUp: () => void): Promise<number> {
  if (o.manageCgroupsMode === 'strict') {
    // runc 1.1.5 takes the flag and restores in soft mode; tsrun says so instead.
    throw new UnsupportedError(
      "restore --manage-cgroups-mode strict: CRIU's strict mode restores only into cgroups that do not exist yet, and tsrun makes the container's cgroup from config.json before CRIU runs (the restored processes are born in it, under its limits); use soft (the default), full or ignore",
    );
  }
  const { bundle, config, rootfs } = readBundle(o.bundle);
  checkConsole(!!config.process?.terminal, !!o.detach, o.consoleSocket);
  const images = imageDir(o.imagePath);
  const work = o.workPath ? path.resolve(o.workPath) : images;
  const pidFile = o.pidFile ? path.resolve(o.pidFile) : undefined;
  const descriptors = readDescriptors(images);

  const signals = o.detach ? undefined : new SignalForwarder(store.core);
  const dir = store.create(o.id);
  const hookBase: HookStateBase = { ociVersion: OCI_VERSION, id: o.id, bundle, annotations: config.annotations };
  const record = planContainerCgroup(config, o.id, store.root, (m) => o.onWarning?.(m));
  let cgroup: Cgroup | undefined;
  let state: StoredState | undefined;
  let imagesFd: number | undefined;
  let workFd: number | undefined;
  const nsFds: number[] = [];
  let yards: YardRecorder | undefined;
  try {
    imagesFd = openCriuDir(images, false, 'image path');
    workFd = work === images ? imagesFd : openCriuDir(work, true, 'work path');
    if (o.lazyPages) requireLazyPagesDaemon(work);
    const opts: Record<string, unknown> & { images_dir_fd: number } = {
      ...commonCriuOpts(o),
      images_dir_fd: imagesFd,
      work_dir_fd: workFd,
      log_file: 'restore.log',
      root: rootfs,
      rst_sibling: true,
      evasive_devices: true,
      // A terminal's master was outside the container: CRIU makes a new pair and hands us the master.
      orphan_pts_master: true,
      ext_mnt: externalMounts(config, 'restore', [], record),
      // The init's pipes (an engine's stdio) and outside files: CRIU puts ours in their place.
      inherit_fd: descriptors.flatMap((d, fd) => (d.startsWith('pipe:') || d.startsWith('file[') ? [{ key: d, fd }] : [])),
    };
    // A network or pid namespace joined by path: CRIU puts the process into it (criu's fds 4, 5).
    for (const [type, key] of Object.entries(EXTERNAL_NS_KEYS)) {
      const nsPath = config.linux?.namespaces?.find((n) => n.type === type && n.path)?.path;
      if (!nsPath) continue;
      nsFds.push(openNamespace(type, nsPath));
      (opts.inherit_fd as Array<{ key: string; fd: number }>).push({ key, fd: 3 + nsFds.length });
    }
    if (o.lsmProfile) opts.lsm_profile = o.lsmProfile;
    if (o.lsmMountContext) opts.lsm_mount_context = o.lsmMountContext;
    const recordState = (pid: number): void => {
      // What setUpCgroup held back (pids.max), now that CRIU has made every process.
      if (cgroup) finishCreate(cgroup);
      state = recordLiveContainer(dir, { id: o.id, pid, bundle, rootfs, config, cgroup: record, pidFile, vanished: `the restored init (pid ${pid}) vanished` });
    };
    // In the state dir before CRIU starts: a restore killed (with its CRIU) from here on leaves CRIU's yard to delete and the sweep.
    yards = new YardRecorder(dir.dir, work);
    const answer = await runCriu({
      core: store.core,
      criuPath: o.criuPath,
      type: 'RESTORE',
      opts,
      logPath: path.join(work, 'restore.log'),
      stdio: [0, 1, 2],
      extraFds: nsFds,
      // A detached restore would die of these, leaving CRIU to go on alone: CRIU is killed and
      // the restore undone instead. In the foreground they wait for the process, as `run`'s do.
      interruptOn: signals ? undefined : INTERRUPTING,
      onStarted(criuPid) {
        yards!.started(criuPid);
        // Recorded before and after the directories are made, so a restore killed from here on leaves them to the sweep.
        cgroup = openCgroup(record, store.core);
        setUpCgroup(cgroup, config.linux?.resources, criuPid, { persist: (r) => dir.writeCgroupRecord(r) });
        endWarmUp();
        // As runc does on v1 and v2 alike: the dumped cgroup maps to the new one. Without it a v2
        // restore under a new id goes to the dumped path, which is the original's while a lazy
        // checkpoint still serves its pages, and dies with it when that checkpoint removes it.
        opts.cg_root = cgroupRoots(criuPid);
      },
      onNotify(script, pid, fd) {
        yards!.claim();
        if (script === 'orphan-pts-master') {
          sendMaster(fd, o.consoleSocket, store.core);
        } else if (fd !== undefined) {
          fs.closeSync(fd);
        }
        if (script === 'setup-namespaces') {
          runHooks(config, 'prestart', { ...hookBase, status: 'creating', pid });
          runHooks(config, 'createRuntime', { ...hookBase, status: 'creating', pid });
        } else if (script === 'post-restore') {
          recordState(pid);
        }
      },
    });
    if (!state) recordState(answer.restore!.pid);
    // CRIU has exited: what it left of its yard (killed out of a hang), while the state dir still records it.
    undoYardsWarning(dir.dir, store.core, o.onWarning);
  } catch (e) {
    if (yards) undoYardsWarning(dir.dir, store.core, o.onWarning);
    failRestore(dir, cgroup, config, hookBase, state, pidFile, o.onWarning);
    signals?.stop();
    throw e;
  } finally {
    if (workFd !== undefined && workFd !== imagesFd) fs.closeSync(workFd);
    if (imagesFd !== undefined) fs.closeSync(imagesFd);
    for (const fd of nsFds) fs.closeSync(fd);
  }
  dir.close();
  runHooksWarning(config, 'poststart', { ...hookBase, status: 'running', pid: state!.pid }, (m) => o.onWarning?.(m));
  if (!signals) return 0;
  // With rst_sibling the restored init is our child, as `run`'s is.
  try {
    return await signals.wait(state!.pid);
  } finally {
    signals.stop();
    removeAfterExit(store, o.id, o.onWarning);
  }
}

/**
 * runc's rules: a terminal's new master goes to --console-socket, so a
 * terminal needs one, and a console socket needs a terminal. A foreground
 * restore relaying the terminal itself is not done by tsrun.
 */
function checkConsole(terminal: boolean, detach: boolean, consoleSocket: string | undefined): void {
  if (terminal && consoleSocket === undefined) {
    throw new UnsupportedError(
      detach
        ? 'cannot allocate tty if tsrun will detach without setting console socket'
        : 'restore of a container with a terminal needs --console-socket: tsrun does not relay a restored terminal itself',
    );
  }
  if (!terminal && consoleSocket !== undefined) throw new TsrunError('cannot use console socket if tsrun will not allocate tty');
}

/** orphan-pts-master: the restored terminal's master, with runc's payload, to the console socket. */
function sendMaster(fd: number | undefined, consoleSocket: string | undefined, core: Pick<NativeCore, 'sendFdToUnixSocket'>): void {
  if (fd === undefined) throw new TsrunError('criu sent orphan-pts-master without the pty master');
  try {
    if (consoleSocket === undefined) throw new TsrunError('the restored container has a terminal, but no --console-socket was given');
    core.sendFdToUnixSocket(consoleSocket, Buffer.from('orphan-pts-master'), fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A lazy restore takes its memory from `criu lazy-pages`, which listens on
 * lazy-pages.socket in its work directory: the restore's work directory must
 * be that one. Said here, before anything is made, rather than as CRIU's connect error.
 */
function requireLazyPagesDaemon(work: string): void {
  const sock = path.join(work, LAZY_PAGES_SOCKET);
  let isSocket = false;
  try {
    isSocket = fs.statSync(sock).isSocket();
  } catch {
    // missing: worded below
  }
  if (!isSocket) {
    throw new TsrunError(
      `--lazy-pages: no lazy-pages daemon listens at ${sock}; start \`criu lazy-pages --page-server --address ADDRESS --port PORT -D IMAGES -W ${work}\` first (ADDRESS:PORT as the checkpoint's --page-server)`,
    );
  }
}

function undoYardsWarning(stateDir: string, core: Pick<NativeCore, 'unmountById'>, warn?: (m: string) => void): void {
  try {
    undoCriuYards(stateDir, core, warn);
  } catch (e) {
    warn?.((e as Error).message);
  }
}

function openNamespace(type: string, nsPath: string): number {
  try {
    return fs.openSync(nsPath, fs.constants.O_RDONLY);
  } catch (e) {
    throw new ConfigPathError('/linux/namespaces', `cannot open the ${type} namespace ${nsPath}: ${(e as NodeJS.ErrnoException).code}`);
  }
}

/** runc's cg_root: each hierarchy's path, as CRIU itself sits in them once moved. */
function cgroupRoots(criuPid: number): Array<{ ctrl?: string; path: string }> {
  const out: Array<{ ctrl?: string; path: string }> = [];
  for (const line of fs.readFileSync(`/proc/${criuPid}/cgroup`, 'utf8').split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    // The unified hierarchy of a hybrid host has no controller name: it gets
    // the default root (no ctrl), which every controller not named above takes.
    if (m) out.push(m[1] ? { ctrl: m[1], path: m[2] } : { path: m[2] });
  }
  return out;
}

/** descriptors.json as checkpoint wrote it; a checkpoint without one is not runc's or tsrun's. */
function readDescriptors(images: string): string[] {
  const file = path.join(images, DESCRIPTORS_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !fs.existsSync(images)) throw new TsrunError(`the image path ${images} does not exist`);
    if (code === 'ENOENT') throw new TsrunError(`${file} is missing: ${images} does not hold a checkpoint made by tsrun or runc`);
    throw e;
  }
  try {
    const fds = JSON.parse(text) as unknown;
    if (Array.isArray(fds) && fds.every((f) => typeof f === 'string')) return fds as string[];
  } catch {
    // worded below
  }
  throw new TsrunError(`${file} is corrupt: expected a JSON array of strings`);
}

function failRestore(
  dir: ReturnType<StateStore['create']>,
  cgroup: Cgroup | undefined,
  config: Config,
  hookBase: HookStateBase,
  state: StoredState | undefined,
  pidFile: string | undefined,
  warn?: (m: string) => void,
): void {
  try {
    // Only what this restore made: a cgroup it found (another container's, say) stays as it was.
    if (state && cgroup?.exists()) cgroup.kill(constants.signals.SIGKILL);
    if (state) waitUntilGone(state.pid, state.initStartTime);
    cgroup?.removeCreated();
  } catch (c) {
    warn?.((c as Error).message);
  }
  try {
    dir.destroy();
  } catch (m) {
    warn?.((m as Error).message);
    dir.close();
  }
  if (pidFile && state) fs.rmSync(pidFile, { force: true });
  if (state) runHooksWarning(config, 'poststop', { ...hookBase, status: 'stopped' }, (m) => warn?.(m));
}

function removeAfterExit(store: StateStore, id: string, warn?: (m: string) => void): void {
  try {
    const dir = store.open(id);
    try {
      destroyContainer(dir, dir.readState(), store.core, { onWarning: warn });
    } finally {
      dir.close();
    }
  } catch (e) {
    warn?.(`cannot remove container ${id}: ${(e as Error).message}`);
  }
}

