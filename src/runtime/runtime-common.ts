// What every runtime object does from the state store alone: where the
// state lives, `state` and `list` of the containers there, `kill` and
// `start`. The cgroup classes and the cleanup of a create killed midway come
// from the subclass: RuntimeBase (runtime-base.ts) gives them, with the rest
// of an existing container's lifecycle, and Runtime (runtime.ts) adds making
// one. The lightest lean entry (src/cli/lite-main.ts) bundles only this.
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_STATE_ROOT } from '../cgroups/paths.js';
import type { Cgroup, CgroupRecord } from '../cgroups/index.js';
import { DamagedStateError } from '../core/errors.js';
import type { NativeCore } from '../core/native.js';
import { Container, withContainer } from './container.js';
import { killContainer, parseSignal } from './kill.js';
import { startContainer, type StartOptions } from './start.js';
import { StateStore } from './state.js';
import type { OciState } from './status.js';
import { defaultStateRoot, prepareXdgRoot, rootlessCgroups, type RootlessFlag } from './rootless.js';

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

export abstract class RuntimeCommon {
  private readonly rootlessFlag: RootlessFlag;
  private rootlessCgroupsMemo?: boolean;
  protected readonly log?: RuntimeLog;
  protected readonly systemdCgroup: boolean;
  private readonly givenRoot?: string;
  private chosenStore?: StateStore;
  private readonly core?: NativeCore;

  constructor(opts: RuntimeOptions = {}) {
    this.givenRoot = opts.root === undefined ? undefined : path.resolve(opts.root);
    this.rootlessFlag = opts.rootless ?? 'auto';
    this.core = opts.core;
    this.log = opts.log;
    this.systemdCgroup = opts.systemdCgroup ?? false;
  }

  /**
   * What clears the leftovers of a create killed midway before the store
   * removes its directory (state.ts DeadCreateUndo): RuntimeBase's undoes them.
   */
  protected abstract undoDeadCreate(dir: string, core: NativeCore): boolean;

  /** The container's cgroup from its record (cgroups/index.ts openCgroup): for kill --all, and to thaw a paused container killed. */
  protected abstract openCgroup(record: CgroupRecord): Cgroup;

  /**
   * Rootless cgroups: a cgroup the caller may not make is done without when the config sets no limits (rootless-cgroup.ts).
   * Worked out at first use: only create, pause, resume and ps ask, and for root it reads /proc/self/uid_map.
   */
  get rootlessCgroups(): boolean {
    this.rootlessCgroupsMemo ??= rootlessCgroups(this.rootlessFlag);
    return this.rootlessCgroupsMemo;
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
      this.chosenStore = new StateStore(root, (dir, core) => this.undoDeadCreate(dir, core), this.core);
    }
    return this.chosenStore;
  }

  protected readonly warn = (message: string): void => this.log?.warn(message);

  /** Starts a created container's process. */
  start(id: string, opts: Omit<StartOptions, 'onWarning'> = {}): Promise<void> {
    return startContainer(this.store, id, { ...opts, onWarning: this.warn });
  }

  /** signal: a number, or a name (KILL, SIGKILL); all: every process in the container's cgroup. */
  kill(id: string, signal: number | string = 'SIGTERM', opts: { all?: boolean } = {}): void {
    const n = typeof signal === 'number' ? signal : parseSignal(signal);
    killContainer(this.store, id, n, opts.all ?? false, (record) => this.openCgroup(record));
  }

  state(id: string): OciState {
    return withContainer(this.store, id, 'shared', (c) => c.ociState());
  }

  /** Every container under root, by id; one whose state file is damaged is skipped with a warning. */
  list(): OciState[] {
    const states: OciState[] = [];
    for (const id of this.store.sweptIds()) {
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
