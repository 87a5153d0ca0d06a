// The runtime as one object: what the CLI's commands call, and what a Node
// program embeds (`import { Runtime } from 'tsrun'`). Every rule lives here or
// below (the id rule and path confinement in the state store, status rules in
// Container); the CLI only reads flags and prints.
//
// Inside someone else's process it changes nothing process-wide: no
// subreaper, no SIGCHLD handler, no umask. It waits only for the pids it
// started, and forwards signals only when asked (the CLI asks).
import fs from 'node:fs';
import path from 'node:path';
import type { Config, Resources } from '../spec/types.js';
import { DEFAULT_STATE_ROOT } from '../cgroups/paths.js';
import { DamagedStateError, type ConfigSource } from '../core/errors.js';
import type { NativeCore } from '../core/native.js';
import { Container, withContainer } from './container.js';
import { createContainer, type CreateOptions } from './create.js';
import { deleteContainer } from './delete.js';
import { containerEvents, type ContainerEvent, type EventsOptions } from './events.js';
import { execInContainer, execWithStdio, type ExecOptions } from './exec.js';
import { killContainer, parseSignal } from './kill.js';
import { pauseContainer, resumeContainer } from './pause.js';
import { containerPids } from './ps.js';
import { runContainer, runContainerWithStdio, type RunOptions } from './run.js';
import type { ContainerProcess, PipedContainerProcess, StdioOptions } from './stdio.js';
import { startContainer, type StartOptions } from './start.js';
import { StateStore } from './state.js';
import type { OciState } from './status.js';
import { updateContainer } from './update.js';
import type { CgroupError } from '../cgroups/index.js';
import { checkBundle, type CheckReport } from './check.js';
import { defaultStateRoot, prepareXdgRoot, rootlessCaller, rootlessCgroups, type RootlessFlag } from './rootless.js';

/** Where warnings go (console will do). */
export interface RuntimeLog {
  warn(message: string): void;
}

export interface RuntimeOptions {
  /** The state directory (runc's --root); default /run/tsrun, or $XDG_RUNTIME_DIR/tsrun for a rootless caller (rootless.ts). */
  root?: string;
  /** runc's --rootless: rootless cgroups true, false, or auto (the default: not root, or uid 0 in a user namespace). */
  rootless?: RootlessFlag;
  log?: RuntimeLog;
  /** runc's --systemd-cgroup: new containers' cgroups are systemd scopes (cgroups/systemd.ts); a create may say otherwise. */
  systemdCgroup?: boolean;
  /** The kernel calls the runtime makes through the addon; tests give a recording fake. Default: the addon. */
  core?: NativeCore;
}

/** What a container is made from: a bundle directory, or a config and a rootfs directory given in code. */
export type ContainerSource = { bundle: string } | { config: Config; rootfs: string };

/** create's and run's options, beyond the source (create.ts documents each). */
export type CreateContainerOptions = Omit<CreateOptions, 'id' | 'bundle' | 'config' | 'rootfs' | 'onWarning' | 'onConsole' | 'stdio'>;

export type RunContainerOptions = CreateContainerOptions & Pick<RunOptions, 'detach' | 'keep' | 'forwardSignals'> & {
  /** As child_process.spawn's: with it, run resolves to the process (its streams and exit) instead of its exit status. */
  stdio?: StdioOptions;
};

export type ExecProcessOptions = Omit<ExecOptions, 'id' | 'onWarning'> & {
  /** As child_process.spawn's: with it, exec resolves to the process (its streams and exit) instead of its exit status. */
  stdio?: StdioOptions;
};

export class Runtime {
  /** Rootless cgroups: a cgroup the caller may not make is done without when the config sets no limits (rootless-cgroup.ts). */
  readonly rootlessCgroups: boolean;
  private readonly log?: RuntimeLog;
  private readonly systemdCgroup: boolean;
  private readonly givenRoot?: string;
  private chosenStore?: StateStore;
  private readonly core?: NativeCore;

  constructor(opts: RuntimeOptions = {}) {
    this.givenRoot = opts.root === undefined ? undefined : path.resolve(opts.root);
    this.rootlessCgroups = rootlessCgroups(opts.rootless ?? 'auto');
    this.core = opts.core;
    this.log = opts.log;
    this.systemdCgroup = opts.systemdCgroup ?? false;
  }

  /** The state directory; without root, chosen on first use (a rootless caller without XDG_RUNTIME_DIR gets an explained error then). */
  get root(): string {
    return this.store.root;
  }

  /** The state store under root (checkpoint and restore still take it directly). */
  get store(): StateStore {
    if (!this.chosenStore) {
      let root = this.givenRoot;
      if (root === undefined) {
        const chosen = defaultStateRoot();
        if (chosen.xdg) prepareXdgRoot(chosen.root);
        root = chosen.root === DEFAULT_STATE_ROOT ? DEFAULT_STATE_ROOT : path.resolve(chosen.root);
      }
      this.chosenStore = new StateStore(root, this.core);
    }
    return this.chosenStore;
  }

  /** Rootless by euid: the caller's ids for the maps; and rootless cgroups. */
  private rootlessOptions(): Pick<CreateOptions, 'rootless' | 'rootlessCgroups'> {
    return { rootless: rootlessCaller(), rootlessCgroups: this.rootlessCgroups };
  }

  private readonly warn = (message: string): void => this.log?.warn(message);

  /** Creates container id, waiting in `created` until start. */
  create(id: string, source: ContainerSource, opts: CreateContainerOptions = {}): OciState {
    createContainer(this.store, { ...this.rootlessOptions(), systemdCgroup: this.systemdCgroup, ...opts, ...sourceOptions(source), id, onWarning: this.warn });
    return this.state(id);
  }

  /** Starts a created container's process. */
  start(id: string, opts: Omit<StartOptions, 'onWarning'> = {}): Promise<void> {
    return startContainer(this.store, id, { ...opts, onWarning: this.warn });
  }

  /**
   * Creates and starts container id; unless detached, waits for its process
   * and removes it, and resolves to its exit status (128+N if signal N killed it).
   * With stdio, resolves as soon as the process runs, to its streams and exit
   * (which resolves once the container is removed, unless detached or kept).
   */
  run(id: string, source: ContainerSource, opts: RunContainerOptions & { stdio: 'pipe' }): Promise<PipedContainerProcess>;
  run(id: string, source: ContainerSource, opts: RunContainerOptions & { stdio: StdioOptions }): Promise<ContainerProcess>;
  run(id: string, source: ContainerSource, opts?: RunContainerOptions & { stdio?: undefined }): Promise<number>;
  run(id: string, source: ContainerSource, opts: RunContainerOptions = {}): Promise<number | ContainerProcess> {
    const { stdio, ...rest } = opts;
    const o = { ...this.rootlessOptions(), systemdCgroup: this.systemdCgroup, ...rest, ...sourceOptions(source), id, onWarning: this.warn };
    return stdio === undefined ? runContainer(this.store, o) : runContainerWithStdio(this.store, o, stdio);
  }

  /** Runs one more process in the container; unless detached, resolves to its exit status. With stdio, to the process, as run does. */
  exec(id: string, opts: ExecProcessOptions & { stdio: 'pipe' }): Promise<PipedContainerProcess>;
  exec(id: string, opts: ExecProcessOptions & { stdio: StdioOptions }): Promise<ContainerProcess>;
  exec(id: string, opts: ExecProcessOptions & { stdio?: undefined }): Promise<number>;
  exec(id: string, opts: ExecProcessOptions): Promise<number | ContainerProcess> {
    const { stdio, ...rest } = opts;
    const o = { ...rest, id, onWarning: this.warn };
    return stdio === undefined ? execInContainer(this.store, o) : execWithStdio(this.store, o, stdio);
  }

  /** signal: a number, or a name (KILL, SIGKILL); all: every process in the container's cgroup. */
  kill(id: string, signal: number | string = 'SIGTERM', opts: { all?: boolean } = {}): void {
    killContainer(this.store, id, typeof signal === 'number' ? signal : parseSignal(signal), opts.all ?? false);
  }

  /** force: kill a running container first. */
  delete(id: string, opts: { force?: boolean } = {}): void {
    deleteContainer(this.store, id, opts.force ?? false, { onWarning: this.warn });
  }

  state(id: string): OciState {
    return withContainer(this.store, id, 'shared', (c) => c.ociState());
  }

  /** Every container under root, by id; one whose state file is damaged is skipped with a warning. */
  list(): OciState[] {
    this.store.sweep();
    const states: OciState[] = [];
    for (const id of this.store.ids()) {
      let dir;
      try {
        dir = this.store.open(id, true);
      } catch {
        continue; // deleted meanwhile
      }
      try {
        const c = Container.of(dir);
        // list names the owner (state leaves it empty), as runc does: whoever owns the state directory.
        states.push({ ...c.ociState(), owner: c.state.owner || ownerOf(dir.dir) });
      } catch (e) {
        // One damaged container must not hide the others: runc warns "load container X: …" and goes on.
        if (!(e instanceof DamagedStateError)) throw e;
        this.warn(`load container ${id}: ${e.file} is damaged (${e.reason}); \`tsrun delete -f ${id}\` removes it`);
      } finally {
        dir.close();
      }
    }
    return states;
  }

  pause(id: string): void {
    pauseContainer(this.store, id);
  }

  resume(id: string): void {
    resumeContainer(this.store, id);
  }

  /**
   * New limits (linux.resources, only the fields that change). A refused field
   * is a CgroupError (a ConfigPathError at /linux/resources/...); sourceOf says
   * where it came from (the CLI names its --resources file or its flag).
   */
  update(id: string, resources: Resources, sourceOf?: (e: CgroupError) => ConfigSource): void {
    updateContainer(this.store, id, resources, sourceOf);
  }

  /** The pids (as the host sees them) in the container's cgroup. */
  ps(id: string): number[] {
    return containerPids(this.store, id);
  }

  /** Stats every intervalMs (default 5 s) and OOM kills, until the container is gone; or, with stats, one stats event. */
  events(id: string, opts: EventsOptions = {}): AsyncGenerator<ContainerEvent> {
    return containerEvents(this.store, id, { warn: this.warn, ...opts });
  }

  /** Plans the bundle against this host without creating anything: every problem, each with its config path, cause and fix. */
  check(bundle: string): CheckReport {
    return checkBundle(bundle, { stateRoot: this.root });
  }
}

function sourceOptions(source: ContainerSource): Pick<CreateOptions, 'bundle' | 'config' | 'rootfs'> {
  return 'bundle' in source ? { bundle: source.bundle } : { bundle: path.dirname(path.resolve(source.rootfs)), config: source.config, rootfs: source.rootfs };
}

/** The user name of the owner of p (runc's "#uid" when /etc/passwd has none). */
function ownerOf(p: string): string {
  let uid: number;
  try {
    uid = fs.statSync(p).uid;
  } catch {
    return 'root';
  }
  if (uid === 0) return 'root';
  try {
    for (const line of fs.readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [name, , id] = line.split(':');
      if (id === String(uid)) return name;
    }
  } catch {
    // no passwd: the number it is
  }
  return `#${uid}`;
}
