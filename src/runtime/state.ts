// The state store: one directory per container under --root, holding
// state.json (written atomically) and exec.fifo while the container is created.
// mkdir makes creation atomic; flock on the directory serialises commands.
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../spec/types.js';
import { destroyCgroupQuietly, type CgroupRecord } from '../cgroups/index.js';
import { ContainerNotFoundError, TsrunError } from './errors.js';
import { native } from './native.js';
import { undoHostMountsQuietly } from './host-mounts.js';

export interface StoredState {
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

export class InvalidIdError extends TsrunError {}

export function validateId(id: string): void {
  if (id === '') throw new InvalidIdError('container id cannot be empty');
  if (!ID_PATTERN.test(id) || id === '.' || id === '..') {
    throw new InvalidIdError(`invalid container ID format: ${JSON.stringify(id)} (allowed: letters, digits, "_", "+", "-", ".")`);
  }
}

export const STATE_FILE = 'state.json';
export const FIFO_FILE = 'exec.fifo';
/** The cgroup record, written before the cgroup is made: a create killed midway leaves it for the sweep. */
export const CGROUP_FILE = 'cgroup.json';

/** An open, locked container directory. Close it to release the lock. */
export class ContainerDir {
  constructor(
    readonly id: string,
    readonly dir: string,
    private fd: number,
  ) {}

  get fifoPath(): string {
    return path.join(this.dir, FIFO_FILE);
  }

  readState(): StoredState {
    try {
      return JSON.parse(fs.readFileSync(path.join(this.dir, STATE_FILE), 'utf8')) as StoredState;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ContainerNotFoundError(this.id);
      throw e;
    }
  }

  hasState(): boolean {
    return fs.existsSync(path.join(this.dir, STATE_FILE));
  }

  writeState(state: StoredState): void {
    writeFileAtomic(path.join(this.dir, STATE_FILE), JSON.stringify(state));
  }

  writeCgroupRecord(record: CgroupRecord): void {
    writeFileAtomic(path.join(this.dir, CGROUP_FILE), JSON.stringify(record));
  }

  hasFifo(): boolean {
    return fs.existsSync(this.fifoPath);
  }

  /** Removes the whole directory; the lock goes with it. */
  destroy(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
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
  constructor(readonly root: string) {}

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
    fs.mkdirSync(this.root, { recursive: true, mode: 0o711 });
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
      native().flock(fd, true, true);
      return new ContainerDir(id, dir, fd);
    });
  }

  private withRootLock<T>(fn: () => T): T {
    // The root directory itself is the lock: no file is left behind, as runc leaves none.
    const fd = fs.openSync(this.root, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    try {
      native().flock(fd, true, true);
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
      throw e;
    }
    const c = new ContainerDir(id, dir, fd);
    // Without state, a create is under way and may be running a hook that
    // asks about this very container: waiting for its lock would deadlock.
    // As with runc, the container does not exist until create has written it.
    if (!native().flock(fd, !shared, c.hasState())) {
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
      throw e;
    }
    return names.filter((n) => ID_PATTERN.test(n) && fs.existsSync(path.join(this.root, n, STATE_FILE))).sort();
  }

  /**
   * Removes what creates killed midway left (kill -9 of tsrun): directories
   * with no state whose lock nobody holds. Their init exited by itself when
   * its socket to the dead create closed.
   */
  sweep(): void {
    let names: string[];
    try {
      names = fs.readdirSync(this.root);
    } catch {
      return;
    }
    const stale = names.filter((n) => ID_PATTERN.test(n) && !fs.existsSync(path.join(this.root, n, STATE_FILE)));
    if (stale.length) this.withRootLock(() => stale.forEach((id) => this.clearIfStale(id)));
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
      if (!native().flock(fd, true, false)) return false;
      if (fs.existsSync(path.join(dir, STATE_FILE))) return false;
      destroyCgroupQuietly(path.join(dir, CGROUP_FILE));
      // Mounts on the host (no mount namespace) that cannot be undone keep the record, for a later sweep.
      if (!undoHostMountsQuietly(dir)) return false;
      fs.rmSync(dir, { recursive: true, force: true });
      return true;
    } finally {
      fs.closeSync(fd);
    }
  }
}

/** Writes a file so readers see the old content or the new, never a part. */
export function writeFileAtomic(file: string, data: string, mode = 0o600): void {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, data, { mode });
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
