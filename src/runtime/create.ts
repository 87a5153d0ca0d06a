// `create`: validate, plan, start tsrun-init and bring the container to
// `created`. On any failure nothing is left: no state dir, process or fifo.
import fs from 'node:fs';
import path from 'node:path';
import createDebug from 'debug';
import { finishCreate, openCgroup, planContainerCgroup, setUpCgroup, type Cgroup, type CgroupRecord } from '../cgroups/index.js';
import { TsrunError, UnsupportedError } from '../core/errors.js';
import type { Config } from '../spec/types.js';
import { runCreateProtocol } from './init-session.js';
import { runCreateRuntimeHooks, runHooksWarning, type HookStateBase } from './hooks.js';
import { undoHostMounts } from './host-mounts.js';
import { buildCreatePlan } from './plan.js';
import { bundleFromConfig, readBundle } from './bundle.js';
import { closePidfdSocket, connectPidfdSocket } from './pidfd-socket.js';
import { withNotifySocket } from './notify-socket.js';
import { sendSeccompListener } from './seccomp-listener.js';
import { inheritedNofile, readHostFacts } from './host.js';
import { planIdMaps, writeIdMaps, type RootlessCaller } from './userns.js';
import { placeRootless, planRootlessCgroup, rootlessCgroupSyscalls } from './rootless-cgroup.js';
import { ownWarmUpTarget, warmCgroupAttach } from './cgroup-warm.js';
import { recordLiveContainer, type StateStore, type StoredState } from './state.js';
import { closeConsole, openConsole, type ConsoleChannel } from './terminal.js';
import type { Stdio } from './stdio.js';

const debug = createDebug('tsrun:create');

export { OCI_VERSION } from '../spec/version.js';
import { OCI_VERSION } from '../spec/version.js';

export interface CreateOptions {
  id: string;
  bundle: string;
  /** A config given in code (with rootfs), instead of bundle's config.json. */
  config?: Config;
  rootfs?: string;
  pidFile?: string;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  preserveFds?: number;
  /** Of preserveFds, how many are socket-activation fds (LISTEN_FDS): the process is told so in its env. */
  listenFds?: number;
  /** --console-socket: where a terminal's pty master goes. */
  consoleSocket?: string;
  /** --pidfd-socket: where the container's init sends a pidfd of itself. */
  pidfdSocket?: string;
  /** false for a foreground `run`, which keeps the terminal itself. */
  detach?: boolean;
  /** A foreground terminal: the socket the pty master arrives on, for relayTerminal. */
  onConsole?(receiveOn: number): void;
  onWarning?(message: string): void;
  /** NOTIFY_SOCKET (the host's): the container gets a notify socket of ours (notify-socket.ts). */
  notifySocket?: string;
  /** --systemd-cgroup: the cgroup is a systemd scope (cgroups/systemd.ts). */
  systemdCgroup?: boolean;
  /** Rootless by euid: the caller, whose maps are written as an unprivileged process may (userns.ts). */
  rootless?: RootlessCaller;
  /** Rootless cgroups: without limits, a cgroup that cannot be made is done without (rootless-cgroup.ts). */
  rootlessCgroups?: boolean;
  /** The library's stdio for the container's process (stdio.ts); the caller closes it. Default: ours. */
  stdio?: Stdio;
}

/** Returns the container init's pid. */
export function createContainer(store: StateStore, opts: CreateOptions): StoredState {
  // First thing, so the grace period of the first cgroup attach passes while the bundle is read and the plan made.
  // Not rootless: such a caller moves no process into a v1 hierarchy.
  const endWarmUp = opts.rootless ? () => {} : warmCgroupAttach(store.core, ownWarmUpTarget);
  try {
    return createWarmed(store, opts, endWarmUp);
  } finally {
    endWarmUp();
  }
}

function createWarmed(store: StateStore, opts: CreateOptions, endWarmUp: () => void): StoredState {
  const { bundle, config, rootfs } = opts.config ? bundleFromConfig(opts.config, opts.rootfs ?? opts.bundle) : readBundle(opts.bundle);
  const pidFile = opts.pidFile ? path.resolve(opts.pidFile) : undefined;

  const dir = store.create(opts.id);
  let state: StoredState | undefined;
  const hookBase: HookStateBase = { ociVersion: OCI_VERSION, id: opts.id, bundle, annotations: config.annotations };
  // A failure once init is started ends the lifecycle as runtime.md has it
  // end: the container is destroyed, then the poststop hooks run (as runc's).
  let started = false;
  let consoleChannel: ConsoleChannel | undefined;
  let pidfdSocketFd: number | undefined;
  let cgroup: Cgroup | undefined;
  let initAlive = false;
  try {
    store.core.mkfifo(dir.fifoPath, 0o622);
    // NOTIFY_SOCKET's mount and env, then socket activation's env: runc's order.
    const notified = opts.notifySocket ? withNotifySocket(config, dir.dir) : config;
    // Only the init gets these: the stored config (exec's base) keeps the bundle's.
    const planConfig = opts.listenFds && notified.process
      ? { ...notified, process: { ...notified.process, env: [...(notified.process.env ?? []), `LISTEN_FDS=${opts.listenFds}`, 'LISTEN_PID=1'] } }
      : notified;
    // Under the root's own parent (two roots can both use an id), checked before anything starts.
    const warnOnce = (m: string) => opts.onWarning?.(m);
    if (opts.systemdCgroup && opts.rootlessCgroups) {
      throw new UnsupportedError('--systemd-cgroup with rootless cgroups (a systemd user instance) is not supported by tsrun: drop --systemd-cgroup, or run as root');
    }
    const rootlessCg = opts.rootlessCgroups ? planRootlessCgroup(config, opts.id, store.root, warnOnce) : undefined;
    // Rootless without permission: no cgroup of its own (rootless-cgroup.ts).
    const cgroupRecord: CgroupRecord | undefined = rootlessCg ? rootlessCg.record : planContainerCgroup(config, opts.id, store.root, warnOnce, { systemd: opts.systemdCgroup });
    // Checked first: without a user namespace nothing else of a rootless create can work.
    const idMaps = planIdMaps(config, opts.rootless);
    const plan = buildCreatePlan(planConfig, {
      id: opts.id,
      bundle,
      fifoPath: dir.fifoPath,
      noPivot: opts.noPivot,
      noNewKeyring: opts.noNewKeyring,
      preserveFds: opts.preserveFds,
      pidfdSocket: opts.pidfdSocket !== undefined,
      inheritedNofile: inheritedNofile(),
      host: readHostFacts(),
      cgroup: rootlessCg ? rootlessCg.mountRecord : cgroupRecord,
      rootless: opts.rootless !== undefined,
      warn: (m) => opts.onWarning?.(m),
    });
    opts.stdio?.checkNoTerminal(plan.process.terminal);
    consoleChannel = openConsole(plan.process.terminal, opts.detach ?? true, opts.consoleSocket, store.core);
    pidfdSocketFd = connectPidfdSocket(opts.pidfdSocket, store.core);
    debug('plan %o', plan);
    started = true;
    runCreateProtocol(plan, {
      consoleFd: consoleChannel?.passFd,
      pidfdSocketFd,
      stdio: opts.stdio?.childFds,
      onWarning: opts.onWarning,
      runCreateHooks: (pid, containerPid) => runCreateRuntimeHooks(config, hookBase, pid, containerPid),
      writeIdMaps: idMaps && ((pid) => writeIdMaps(pid, idMaps)),
      placeInCgroup(pid, unifiedByClone) {
        if (!cgroupRecord) return;
        cgroup = openCgroup(cgroupRecord, opts.rootlessCgroups ? rootlessCgroupSyscalls : store.core);
        // Recorded before each step, so the sweep of a create killed midway removes what it made, and only that.
        const setUp = (resources = config.linux?.resources) =>
          setUpCgroup(cgroup!, resources, pid, { persist: (r) => dir.writeCgroupRecord(r), unifiedByClone });
        try {
          if (!opts.rootlessCgroups) return setUp();
          placeRootless(cgroup, config, setUp, (m) => opts.onWarning?.(m));
        } finally {
          // The attaches are done: nothing more to keep fast.
          endWarmUp();
        }
      },
      // Stage 0 has exited: the limits that would have stopped its clone.
      onChildPid: () => {
        if (cgroup) finishCreate(cgroup);
      },
      onSeccompListener(fd, pid) {
        const sc = plan.process.seccomp;
        if (!sc?.listenerPath) throw new TsrunError('tsrun-init sent a seccomp listener, but the plan has no listenerPath');
        sendSeccompListener(sc.listenerPath, sc.listenerMetadata, fd, { ociVersion: OCI_VERSION, id: opts.id, pid, bundle, annotations: config.annotations });
      },
      onCreated(pid) {
        state = recordLiveContainer(dir, {
          id: opts.id, pid, bundle, rootfs, config, cgroup: cgroupRecord, noNewKeyring: opts.noNewKeyring, pidFile,
          vanished: `the container's init (pid ${pid}) vanished during create`,
        });
      },
    }, store.core);
    initAlive = true;
    dir.close();
    closeConsole(consoleChannel, true);
    closePidfdSocket(pidfdSocketFd);
    if (consoleChannel?.receiveOn !== undefined) opts.onConsole?.(consoleChannel.receiveOn);
    return state!;
  } catch (e) {
    closeConsole(consoleChannel);
    closePidfdSocket(pidfdSocketFd);
    // The protocol kills what it started when it fails; after it, the init is ours to kill (our unreaped child: its pid is not reused).
    if (initAlive && state) killQuietly(state.pid);
    try {
      // Only what this create made: a cgroup it found (another container's, say) stays as it was.
      cgroup?.removeCreated();
    } catch (c) {
      opts.onWarning?.(`${(c as Error).message}`);
    }
    try {
      undoHostMounts(dir.dir, store.core);
      dir.destroy();
    } catch (m) {
      // The record stays (no state: the sweep of dead creates tries again).
      opts.onWarning?.(`${(m as Error).message}`);
      dir.close();
    }
    if (pidFile && state) fs.rmSync(pidFile, { force: true });
    if (started) runHooksWarning(config, 'poststop', { ...hookBase, status: 'stopped' }, (m) => opts.onWarning?.(m));
    throw e;
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}
