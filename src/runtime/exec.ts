// `exec`: run one more process in a created or running container. tsrun-init
// joins the namespaces of the container's init and forks into its pid
// namespace; the process is tsrun's own child, with no tsrun process in
// between, and in the foreground its exit status becomes exec's.
import path from 'node:path';
import createDebug from 'debug';
import { readProcessFile, validateProcess } from '../spec/validate.js';
import type { Process } from '../spec/types.js';
import { ConfigPathError, isUnder, StatusError, TsrunError } from '../core/errors.js';
import { buildExecPlan, checkProcessFile, flagFields, processFromFlags, type ExecFlags } from './exec-plan.js';
import { ChildWaiter, launchWithStdio, SignalForwarder } from './foreground.js';
import { inheritedNofile, readHostFacts } from './host.js';
import { runExecProtocol } from './init-session.js';
import { openCgroup } from '../cgroups/index.js';
import { leafForExec, placeProcess, subCgroupPlacement } from '../cgroups/placement.js';
import type { NativeCore } from '../core/native.js';
import { ownWarmUpTarget, warmCgroupAttach } from './cgroup-warm.js';
import { isAlive } from './proc.js';
import { sendSeccompListener } from './seccomp-listener.js';
import { writeFileAtomic, type StateStore, type StoredState } from './state.js';
import { Container } from './container.js';
import { closeConsole, openConsole, relayTerminal, type ConsoleChannel } from './terminal.js';
import { closePidfdSocket, connectPidfdSocket } from './pidfd-socket.js';
import { closeSync, readFileSync } from 'node:fs';
import { Stdio, type ContainerProcess, type ProcessExit, type StdioOptions } from './stdio.js';

const debug = createDebug('tsrun:exec');

export interface ExecOptions {
  id: string;
  /** --process: a runtime-spec process JSON; the flags are then not used. */
  processFile?: string;
  /** A runtime-spec process given in code (the library's); checked as a --process file is. The flags are then not used. */
  process?: Process;
  /** runc's exec flags, laid over the container's own process (args at least). */
  flags?: ExecFlags;
  pidFile?: string;
  detach?: boolean;
  preserveFds?: number;
  ignorePaused?: boolean;
  /** --console-socket: where the terminal's pty master goes. */
  consoleSocket?: string;
  /** --pidfd-socket: where the process sends a pidfd of itself. */
  pidfdSocket?: string;
  /** --cgroup: sub-cgroups of the container's to run in ([<controller>[,...]:]<sub-path>, as runc takes them). */
  cgroups?: string[];
  /** The signals this process gets go on to the process while exec waits (the CLI's way; a library's caller keeps its own). */
  forwardSignals?: boolean;
  onWarning?(message: string): void;
}

/** Returns the exit code for tsrun: the process's (128+N if killed by signal N), or 0 when detached. */
export async function execInContainer(store: StateStore, opts: ExecOptions): Promise<number> {
  const { done } = await launch(store, opts);
  return done ? (await done).status : 0;
}

/**
 * exec for a library caller that asked for stdio: resolves once the process
 * has exec'd, with its streams; exit resolves when it ends (detached: the
 * wait starts when exit is first read).
 */
export async function execWithStdio(store: StateStore, opts: ExecOptions, options: StdioOptions): Promise<ContainerProcess> {
  return launchWithStdio(store.core, options, (stdio) => launch(store, opts, stdio));
}

async function launch(store: StateStore, opts: ExecOptions, stdio?: Stdio): Promise<{ pid: number; done?: Promise<ProcessExit> }> {
  const signals = opts.detach ? undefined : opts.forwardSignals ? new SignalForwarder(store.core) : new ChildWaiter(store.core);
  let receiveOn: number | undefined;
  let waiting = false;
  try {
    const start = () => {
      const r = startProcess(store, opts, (fd) => (receiveOn = fd), stdio);
      // tsrun-init has its copies: ours would keep the pipes open. (Paused: nothing started yet; a failure closes them all.)
      if (typeof r === 'number') stdio?.closeGiven();
      return r;
    };
    let started = start();
    while (typeof started !== 'number') {
      await waitUntilThawed(started.state, signals);
      started = start();
    }
    const pid = started;
    if (!signals) return { pid };
    // -t without a console socket: we are the terminal's other end.
    const relay = receiveOn === undefined ? undefined : relayTerminal(receiveOn, store.core);
    receiveOn = undefined;
    waiting = true;
    const done = (async () => {
      try {
        const exit = await signals.waitExit(pid);
        await relay;
        return exit;
      } finally {
        signals.stop();
      }
    })();
    return { pid, done };
  } finally {
    if (!waiting) signals?.stop();
    if (receiveOn !== undefined) closeSync(receiveOn);
  }
}

/** --ignore-paused and a paused container: nothing was started, and the lock is released. */
interface Paused {
  state: StoredState;
}

/**
 * A process started in a frozen container freezes as it joins the cgroup,
 * and tsrun with it, unable to act on signals. So exec waits before it starts
 * anything, holding no lock (resume and delete need it), and asynchronously,
 * so that a signal that would end tsrun ends it. runc's exec waits too.
 */
async function waitUntilThawed(state: StoredState, signals: ChildWaiter | undefined): Promise<void> {
  const cgroup = openCgroup(state.cgroup!);
  for (let delay = 2; isAlive(state.pid, state.initStartTime) && cgroup.isFrozen(); delay = Math.min(delay * 2, 50)) {
    // Without a forwarder (exec -d), node's default action ends tsrun by itself.
    const ending = signals?.endingSignal();
    if (ending) signals!.endBy(ending);
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** Starts the process and returns its host pid, once it has exec'd; or, with --ignore-paused, reports a paused container. */
function startProcess(store: StateStore, opts: ExecOptions, onConsole: (receiveOn: number) => void, stdio?: Stdio): number | Paused {
  // As create's: the grace period of moving the process into the v1 hierarchies passes while the plan is made.
  const endWarmUp = warmCgroupAttach(store.core, ownWarmUpTarget);
  try {
    return startWarmed(store, opts, onConsole, endWarmUp, stdio);
  } finally {
    endWarmUp();
  }
}

function startWarmed(store: StateStore, opts: ExecOptions, onConsole: (receiveOn: number) => void, endWarmUp: () => void, stdio?: Stdio): number | Paused {
  const pidFile = opts.pidFile ? path.resolve(opts.pidFile) : undefined;
  // Shared, so execs run side by side; start and delete wait until the process
  // has started. Pause needs the lock too, so the container stays thawed meanwhile.
  const container = Container.open(store, opts.id, 'shared');
  const { state, status } = container;
  let pid: number;
  let consoleChannel: ConsoleChannel | undefined;
  let pidfdSocketFd: number | undefined;
  try {
    if (status === 'paused' && opts.ignorePaused) return { state };
    container.require('exec');
    try {
      const proc = opts.processFile
        ? checkProcessFile(readProcessFile(opts.processFile), opts.processFile)
        : opts.process
          ? checkProcessFile(validateProcess(opts.process, 'process'), 'process')
          : processFromFlags(state.config.process, opts.flags ?? { args: [] });
      if (opts.cgroups?.length && !state.cgroup) throw new TsrunError(`--cgroup: container ${state.id} has no cgroup to choose a sub-cgroup of`);
      let placement = state.cgroup && subCgroupPlacement(state.cgroup, opts.cgroups ?? []);
      if (placement && !opts.cgroups?.length) placement = leafForExec(placement, readProcCgroup(state.pid));
      const plan = buildExecPlan(state, proc, {
        host: readHostFacts(),
        warn: (m) => opts.onWarning?.(m),
        inheritedNofile: inheritedNofile(),
        preserveFds: opts.preserveFds,
        pidfdSocket: opts.pidfdSocket !== undefined,
        cgroup: placement,
      });
      debug('plan %o', plan);
      stdio?.checkNoTerminal(plan.process.terminal);
      consoleChannel = openConsole(plan.process.terminal, opts.detach === true, opts.consoleSocket, store.core);
      pidfdSocketFd = connectPidfdSocket(opts.pidfdSocket, store.core);
      pid = runExecProtocol(plan, {
        consoleFd: consoleChannel?.passFd,
        pidfdSocketFd,
        stdio: stdio?.childFds,
        onWarning: opts.onWarning,
        // The process is born in the container's cgroup(s) (or the --cgroup ones), as runc's exec is.
        placeInCgroup: placement && ((stage0, unifiedByClone) => {
          placeProcess(placement, stage0, !unifiedByClone);
          endWarmUp();
        }),
        onChildPid() {
          // tsrun-init opened /proc/<pid>/ns/* of the init: if that pid is no
          // longer our init (it exited, the pid was reused), they may be a stranger's.
          if (!isAlive(state.pid, state.initStartTime)) throw new StatusError('cannot exec in a stopped container');
        },
        onSeccompListener(fd, processPid) {
          const sc = plan.process.seccomp;
          if (!sc?.listenerPath) throw new TsrunError('tsrun-init sent a seccomp listener, but the plan has no listenerPath');
          sendSeccompListener(sc.listenerPath, sc.listenerMetadata, fd, {
            ociVersion: state.ociVersion, id: state.id, pid: state.pid, processPid, status, bundle: state.bundle, annotations: state.annotations,
          });
        },
      }, store.core);
      closeConsole(consoleChannel, true);
      if (consoleChannel?.receiveOn !== undefined) onConsole(consoleChannel.receiveOn);
    } catch (e) {
      closeConsole(consoleChannel);
      // The init exited meanwhile: that, not a missing /proc/<pid>/ns file, is the news.
      if (!isAlive(state.pid, state.initStartTime)) throw new StatusError('cannot exec in a stopped container');
      throw relabel(e, opts);
    }
  } finally {
    closePidfdSocket(pidfdSocketFd);
    container.close();
  }
  try {
    // go-runc reads this with a bare Atoi: no trailing newline.
    if (pidFile) writeFileAtomic(pidFile, String(pid), 0o644);
  } catch (e) {
    // runc does the same: a process nobody can find would be left running.
    killAndReap(pid, store.core);
    throw e;
  }
  return pid;
}

/** /proc/<pid>/cgroup, or '' once the process is gone (the exec then fails on its own). */
function readProcCgroup(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cgroup`, 'utf8');
  } catch {
    return '';
  }
}

function killAndReap(pid: number, core: NativeCore): void {
  try {
    process.kill(pid, 'SIGKILL');
    core.waitPid(pid, true);
  } catch {
    // already gone
  }
}

/**
 * Planning and tsrun-init name the config.json path a problem is at. For
 * exec, /process is the --process file, or partly the command line: say so.
 */
function relabel(e: unknown, opts: ExecOptions): unknown {
  if (!(e instanceof ConfigPathError) || !isUnder(e.path, '/process')) return e;
  const file = opts.processFile ?? (opts.process ? 'process' : undefined);
  if (file) return e.from({ kind: 'process-file', file });
  const flag = Object.entries(flagFields(opts.flags ?? { args: [] })).find(([field]) => isUnder(e.path, field))?.[1];
  return flag === undefined ? e : e.from({ kind: 'flag', flag });
}
