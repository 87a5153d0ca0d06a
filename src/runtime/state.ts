// The state store: one directory per container under --root, holding
// state.json (written atomically and synced), the records that find the
// init and the cgroup should it be damaged (init.json, cgroup.json), and
// exec.fifo while the container is created.
// mkdir makes creation atomic; flock on the directory serialises commands.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../spec/types.js';
import type { CgroupRecord } from '../cgroups/record.js';
import { ContainerNotFoundError, DamagedStateError, errnoText, TsrunError } from '../core/errors.js';
import { nativeCore, type NativeCore } from '../core/native.js';
import { readProcStat } from './proc.js';
import { rfc3339NanoNow } from './time.js';
import { OCI_VERSION } from '../spec/version.js';
import { cgroupRecordProblem, initRecordProblem, STATE_VERSION, stateProblem, type InitRecord } from './state-shape.js';

export type { InitRecord } from './state-shape.js';

export interface StoredState {
  /** The file's shape (state-shape.ts STATE_VERSION); absent in version 1. */
  version?: number;
  ociVersion: string;
  id: string;
  /** The container's init, as the host sees it. */
  pid: number;
  bundle: string;
  rootfs: string;
  /** RFC 3339 with nanoseconds, UTC, as runc writes it. */
  created: string;
  owner: string;
  annotations?: Record<string, string>;
  /** /proc/<pid>/stat start time: tells our init from a process that reused its pid. */
  initStartTime: number;
  /** The validated config, so no later command reads the bundle again. */
  config: Config;
  /** create --no-new-keyring: exec then keeps the caller's session keyring too. */
  noNewKeyring?: boolean;
  /** The container's cgroup, as create made it: later commands never recompute it. */
  cgroup?: CgroupRecord;
}

// runc's rule: letters, digits, and _ + - . ; never "." or "..".
const ID_PATTERN = /^[\w+\-.]+$/;
/** The id names a directory (and the cgroup's): a file name has at most NAME_MAX (255) bytes. */
export const MAX_ID_LENGTH = 255;

export class InvalidIdError extends TsrunError {}

export function validateId(id: string): void {
  if (id === '') throw new InvalidIdError('container id cannot be empty');
  if (!ID_PATTERN.test(id) || id === '.' || id === '..') {
    throw new InvalidIdError(`invalid container ID format: ${JSON.stringify(id)} (allowed: letters, digits, "_", "+", "-", ".")`);
  }
  if (id.length > MAX_ID_LENGTH) {
    throw new InvalidIdError(
      `container ID is too long: ${id.length} characters, at most ${MAX_ID_LENGTH} (it names a directory, and a file name is at most ${MAX_ID_LENGTH} bytes)`,
    );
  }
}

export const STATE_FILE = 'state.json';
export const FIFO_FILE = 'exec.fifo';
/** The cgroup record, written before the cgroup is made: a create killed midway leaves it for the sweep. */
export const CGROUP_FILE = 'cgroup.json';
/** The init's pid and start time, written before state.json: `delete -f` finds the init with it if state.json is damaged. */
export const INIT_FILE = 'init.json';
/** A checkpoint holds an exclusive flock on it while CRIU dumps: one checkpoint at a time. */
export const CHECKPOINT_LOCK_FILE = 'checkpoint.lock';
/** What a container without a mount namespace mounted on the host (host-mounts.ts), for delete to undo. */
export const HOST_MOUNTS_FILE = 'host-mounts';
/** CRIU's cgroup yards a restore mounted (criu-yards.ts), for delete or the sweep to unmount. */
export const CRIU_YARDS_FILE = 'criu-yards.json';
/** The directory of the NOTIFY_SOCKET proxy's socket (notify-socket.ts). */
export const NOTIFY_DIR = 'notify';

/**
 * Undoes what a create (or restore) killed midway left outside its state
 * directory, from the records in it: its cgroup, mounts on the host, CRIU's
 * cgroup yards. False if some of it stays: the directory is then kept, for a
 * later sweep. dead-create.ts has the one that does it; the lite entry
 * (cli/lite-main.ts) gives one that hands the command to an entry holding
 * that code.
 */
export type DeadCreateUndo = (dir: string, core: NativeCore) => boolean;

/** An open, locked container directory. Close it to release the lock. */
export class ContainerDir {
  constructor(
    readonly id: string,
    readonly dir: string,
    private fd: number,
  ) {}

  /**
   * From a shared lock to the exclusive one (flock converts, not atomically:
   * an exclusive holder waiting may go first). False if the container was
   * removed meanwhile.
   */
  lockExclusive(core: Pick<NativeCore, 'flock'>): boolean {
    core.flock(this.fd, true, true);
    return this.hasState();
  }

  /** The checkpoint lock's fd (the caller closes it to release), or undefined if another checkpoint holds it. */
  tryLockCheckpoint(core: Pick<NativeCore, 'flock'>): number | undefined {
    const fd = fs.openSync(path.join(this.dir, CHECKPOINT_LOCK_FILE), fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
    if (core.flock(fd, true, false)) return fd;
    fs.closeSync(fd);
    return undefined;
  }

  get fifoPath(): string {
    return path.join(this.dir, FIFO_FILE);
  }

  /** The container's state; DamagedStateError if the file is there but unusable. */
  readState(): StoredState {
    const file = path.join(this.dir, STATE_FILE);
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ContainerNotFoundError(this.id);
      throw new DamagedStateError(this.id, file, errnoText(e as NodeJS.ErrnoException));
    }
    const parsed = parseChecked(text, (v) => stateProblem(v, this.id));
    if ('problem' in parsed) throw new DamagedStateError(this.id, file, parsed.problem);
    return parsed.value as StoredState;
  }

  /** The init record, or why it cannot be used. */
  readInitRecord(): InitRecord | string {
    return readRecord(path.join(this.dir, INIT_FILE), initRecordProblem) as InitRecord | string;
  }

  /** The cgroup record, or why it cannot be used. */
  readCgroupRecord(): CgroupRecord | string {
    return readRecord(path.join(this.dir, CGROUP_FILE), cgroupRecordProblem) as CgroupRecord | string;
  }

  hasState(): boolean {
    return fs.existsSync(path.join(this.dir, STATE_FILE));
  }

  /** Always in this tsrun's shape: a version 1 state read and written back becomes version 2. */
  writeState(state: StoredState): void {
    writeFileAtomic(path.join(this.dir, STATE_FILE), JSON.stringify({ ...state, version: STATE_VERSION }));
  }

  writeCgroupRecord(record: CgroupRecord): void {
    writeFileAtomic(path.join(this.dir, CGROUP_FILE), JSON.stringify(record));
  }

  /** A rootless create that did without a cgroup: no record of one. */
  removeCgroupRecord(): void {
    fs.rmSync(path.join(this.dir, CGROUP_FILE), { force: true });
  }

  writeInitRecord(record: InitRecord): void {
    writeFileAtomic(path.join(this.dir, INIT_FILE), JSON.stringify({ pid: record.pid, initStartTime: record.initStartTime }));
  }

  hasFifo(): boolean {
    return fs.existsSync(this.fifoPath);
  }

  /** Removes the whole directory; the lock goes with it. */
  destroy(): void {
    removeDirTree(this.dir);
    this.close();
  }

  close(): void {
    if (this.fd >= 0) {
      fs.closeSync(this.fd);
      this.fd = -1;
    }
  }
}

export class StateStore {
  /**
   * undoDeadCreate: what clears a dead create's leftovers before its directory goes (dead-create.ts).
   * core: the kernel calls of every command on this store (the addon; a fake in unit tests).
   */
  constructor(
    readonly root: string,
    private readonly undoDeadCreate: DeadCreateUndo,
    readonly core: NativeCore = nativeCore,
  ) {}

  /** The directory of container id (the id checked first). */
  dirOf(id: string): string {
    validateId(id);
    return path.join(this.root, id);
  }

  /**
   * Makes the directory for a new container and locks it. Of two creates of
   * one id, exactly one gets here; the other is told the id is taken. A
   * directory left by a create that died (no state, nobody holding its lock)
   * is cleared first.
   */
  create(id: string): ContainerDir {
    const dir = this.dirOf(id);
    try {
      // 0700, as runc makes its root: the state of every container is root's alone.
      fs.mkdirSync(this.root, { recursive: true, mode: 0o700 });
    } catch (e) {
      throw this.rootError(e);
    }
    // mkdir and flock are two steps: the root lock keeps a stale-check from
    // seeing a directory between them and taking it for a dead create's.
    return this.withRootLock(() => {
      try {
        fs.mkdirSync(dir, { mode: 0o711 });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || !this.clearIfStale(id)) {
          throw new TsrunError(`container with given ID already exists: ${id}`);
        }
        fs.mkdirSync(dir, { mode: 0o711 });
      }
      const fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
      this.core.flock(fd, true, true);
      return new ContainerDir(id, dir, fd);
    });
  }

  /** runc says "mkdir <root>: not a directory"; this says which flag and what is wrong. */
  private rootError(e: unknown): unknown {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOTDIR' && code !== 'EEXIST') return e;
    let st: fs.Stats;
    try {
      st = fs.statSync(this.root);
    } catch (s) {
      if ((s as NodeJS.ErrnoException).code !== 'ENOTDIR') return e;
      return new TsrunError(`--root ${this.root}: a parent of it is not a directory`);
    }
    // A root that is a directory: the trouble is below it (a file where a container's directory goes).
    return st.isDirectory() ? e : new TsrunError(`--root ${this.root} is not a directory`);
  }

  private withRootLock<T>(fn: () => T): T {
    // The root directory itself is the lock: no file is left behind, as runc leaves none.
    const fd = fs.openSync(this.root, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    try {
      this.core.flock(fd, true, true);
      return fn();
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Opens and locks an existing container's directory (exclusive unless shared). */
  open(id: string, shared = false): ContainerDir {
    const dir = this.dirOf(id);
    let fd: number;
    try {
      fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ContainerNotFoundError(id);
      throw this.rootError(e);
    }
    const c = new ContainerDir(id, dir, fd);
    // Without state, a create is under way and may be running a hook that
    // asks about this very container: waiting for its lock would deadlock.
    // As with runc, the container does not exist until create has written it.
    if (!this.core.flock(fd, !shared, c.hasState())) {
      c.close();
      throw new ContainerNotFoundError(id);
    }
    if (!c.hasState()) {
      // Still being created by someone else, or left half-made by a create that died.
      c.close();
      this.withRootLock(() => this.clearIfStale(id));
      throw new ContainerNotFoundError(id);
    }
    return c;
  }

  /** Ids of the containers with a state file, sorted. */
  ids(): string[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.root);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw this.rootError(e);
    }
    return names.filter((n) => ID_PATTERN.test(n) && fs.existsSync(path.join(this.root, n, STATE_FILE))).sort();
  }

  /**
   * The ids of the containers with a state file, sorted, after removing what
   * creates killed midway left (kill -9 of tsrun): directories with no state
   * whose lock nobody holds. Their init exited by itself when its socket to
   * the dead create closed. One listing of the root serves both.
   */
  sweptIds(): string[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.root);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw this.rootError(e);
    }
    const ids: string[] = [];
    const stale: string[] = [];
    for (const n of names) if (ID_PATTERN.test(n)) (fs.existsSync(path.join(this.root, n, STATE_FILE)) ? ids : stale).push(n);
    if (stale.length) this.withRootLock(() => stale.forEach((id) => this.clearIfStale(id)));
    return ids.sort();
  }

  /** Removes id's directory if it has no state and no live create holds it. */
  private clearIfStale(id: string): boolean {
    const dir = path.join(this.root, id);
    let fd: number;
    try {
      fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    } catch {
      return true;
    }
    try {
      if (!this.core.flock(fd, true, false)) return false;
      if (fs.existsSync(path.join(dir, STATE_FILE))) return false;
      // Only a directory holding nothing but what tsrun writes there is a dead
      // create's: a --root pointed at a directory of other files loses none.
      if (!fs.readdirSync(dir).every(isOwnEntry)) return false;
      if (!this.undoDeadCreate(dir, this.core)) return false;
      removeDirTree(dir);
      return true;
    } finally {
      fs.closeSync(fd);
    }
  }
}

/**
 * rm -rf of a container's directory, which holds a few files and at most a
 * directory or two: fs.rmSync's recursive walk (node's rimraf, loaded at
 * first use) cost a delete about 2 ms more. Missing is done.
 */
function removeDirTree(dir: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  for (const name of names) {
    const p = path.join(dir, name);
    try {
      fs.unlinkSync(p);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EISDIR') removeDirTree(p);
      else if (code !== 'ENOENT') throw e;
    }
  }
  try {
    fs.rmdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/** What tsrun itself writes into a container's directory (and writeFileAtomic's temp files). */
const OWN_ENTRIES = new Set([STATE_FILE, FIFO_FILE, CGROUP_FILE, INIT_FILE, HOST_MOUNTS_FILE, NOTIFY_DIR, CHECKPOINT_LOCK_FILE, CRIU_YARDS_FILE]);
const isOwnEntry = (name: string) => OWN_ENTRIES.has(name) || /^\..+\.\d+\.tmp$/.test(name);

/** JSON.parse, then shape-checked: the value, or what is wrong with it. */
function parseChecked(text: string, check: (v: unknown) => string | undefined): { value: unknown } | { problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return { problem: text.trim() === '' ? 'it is empty' : `not JSON: ${(e as Error).message}` };
  }
  const problem = check(value);
  return problem ? { problem } : { value };
}

/** A recovery record (init.json, cgroup.json): the value, or why it cannot be used ("missing" if absent). */
function readRecord(file: string, problem: (v: unknown) => string | undefined): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? `${file} is missing` : `${file}: ${errnoText(e as NodeJS.ErrnoException)}`;
  }
  const parsed = parseChecked(text, problem);
  return 'problem' in parsed ? `${file} is damaged (${parsed.problem})` : parsed.value;
}

/** What create and restore know of a container whose init now lives. */
export interface LiveContainer {
  id: string;
  pid: number;
  bundle: string;
  rootfs: string;
  config: Config;
  cgroup?: CgroupRecord;
  noNewKeyring?: boolean;
  pidFile?: string;
  /** Worded when the init is gone before it could be recorded. */
  vanished: string;
}

/**
 * Records a container whose init lives: init.json first (pid and start time,
 * so `delete -f` finds the init even if state.json is damaged later), then
 * state.json, then the pid file.
 */
export function recordLiveContainer(dir: ContainerDir, c: LiveContainer): StoredState {
  const stat = readProcStat(c.pid);
  if (!stat) throw new TsrunError(c.vanished);
  dir.writeInitRecord({ pid: c.pid, initStartTime: stat.startTime });
  const state: StoredState = {
    version: STATE_VERSION,
    ociVersion: OCI_VERSION,
    id: c.id,
    pid: c.pid,
    bundle: c.bundle,
    rootfs: c.rootfs,
    created: rfc3339NanoNow(),
    owner: '',
    annotations: c.config.annotations,
    initStartTime: stat.startTime,
    config: c.config,
    noNewKeyring: c.noNewKeyring || undefined,
    cgroup: c.cgroup,
  };
  dir.writeState(state);
  // go-runc reads this with a bare Atoi: no trailing newline.
  if (c.pidFile) writeFileAtomic(c.pidFile, String(c.pid), 0o644);
  return state;
}

/**
 * Writes a file so readers see the old content or the new, never a part,
 * whenever the writer dies (kill -9): a temp file, then rename. It is not
 * fsynced, as runc does not: a state file lives as long as its container,
 * which a power loss ends, and on a disk-backed /run each sync cost several
 * ms (about 38 ms a create). A damaged state after a power loss is what
 * `delete -f` recovers from. A failure (ENOSPC on a full --root) names the
 * file and leaves the old content and no temp file.
 */
export function writeFileAtomic(file: string, data: string, mode = 0o600): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  let made = false;
  try {
    const fd = fs.openSync(tmp, 'w', mode);
    made = true;
    try {
      fs.writeFileSync(fd, data);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    if (made) fs.rmSync(tmp, { force: true });
    throw writeError(file, e);
  }
}

/** A TsrunError that names the file (keeping the errno code), for what went wrong writing it. */
function writeError(file: string, e: unknown): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (!code) return e;
  const err = new TsrunError(`cannot write ${file}: ${errnoText(e as NodeJS.ErrnoException)}`);
  return Object.assign(err, { code });
}
