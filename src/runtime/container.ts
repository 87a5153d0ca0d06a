// A container as every command meets it: its directory, locked; its stored
// state; its live status; and which commands that status allows, in runc's
// words. Commands open one, ask, act and close it: the lock is held meanwhile.
import { StatusError } from '../core/errors.js';
import type { ContainerDir, StateStore, StoredState } from './state.js';
import { statusOf, ociState, type OciState, type Status } from './status.js';

/** What a command does to a container; each has its status rule below. */
export type Operation = 'start' | 'kill' | 'delete' | 'exec' | 'pause' | 'resume' | 'update' | 'events';

/** exclusive: the command changes the container; shared: it only reads it, or runs beside others (exec). */
export type LockMode = 'exclusive' | 'shared';

// Why status forbids op, as runc says it; undefined: it is allowed.
const RULES: Record<Operation, (status: Status, id: string, force: boolean) => string | undefined> = {
  start: (s) =>
    s === 'stopped' ? 'cannot start a container that has stopped' : s !== 'created' ? 'cannot start an already running container' : undefined,
  // kill --all reaches a stopped container's leftover processes: kill.ts decides that itself.
  kill: (s) => (s === 'stopped' ? 'container not running' : undefined),
  // A created container has run nothing of the user's yet: runc deletes it without --force.
  delete: (s, id, force) => ((s === 'running' || s === 'paused') && !force ? `cannot delete container ${id} that is not stopped: ${s}` : undefined),
  exec: (s) =>
    s === 'stopped'
      ? 'cannot exec in a stopped container'
      : s === 'paused'
        ? 'cannot exec in a paused container (use --ignore-paused to override)'
        : undefined,
  pause: (s) => (s !== 'running' && s !== 'created' ? 'container not running' : undefined),
  resume: (s) => (s !== 'paused' ? 'container not paused' : undefined),
  update: (s) => (s === 'stopped' ? 'container not running' : undefined),
  events: (s, id) => (s === 'stopped' ? `container with id ${id} is not running` : undefined),
};

export class Container {
  private constructor(
    readonly dir: ContainerDir,
    readonly state: StoredState,
    /** Worked out from the live system when the container was opened (status.ts). */
    readonly status: Status,
  ) {}

  /** Opens and locks container id and reads its state; ContainerNotFoundError or DamagedStateError if it cannot. */
  static open(store: StateStore, id: string, mode: LockMode = 'exclusive'): Container {
    const dir = store.open(id, mode === 'shared');
    try {
      return Container.of(dir);
    } catch (e) {
      dir.close();
      throw e;
    }
  }

  /** The container in an already open directory (delete keeps the directory for a damaged state). */
  static of(dir: ContainerDir): Container {
    const state = dir.readState();
    return new Container(dir, state, statusOf(dir, state));
  }

  get id(): string {
    return this.dir.id;
  }

  /** Why the container's status forbids op (runc's words), or undefined. */
  refusal(op: Operation, opts: { force?: boolean } = {}): string | undefined {
    return RULES[op](this.status, this.id, opts.force ?? false);
  }

  /** Throws StatusError unless the status allows op. */
  require(op: Operation, opts: { force?: boolean } = {}): void {
    const why = this.refusal(op, opts);
    if (why) throw new StatusError(why);
  }

  canStart(): boolean {
    return !this.refusal('start');
  }

  canPause(): boolean {
    return !this.refusal('pause');
  }

  canResume(): boolean {
    return !this.refusal('resume');
  }

  canExec(opts: { ignorePaused?: boolean } = {}): boolean {
    return !this.refusal('exec') || (opts.ignorePaused === true && this.status === 'paused');
  }

  canDelete(opts: { force?: boolean } = {}): boolean {
    return !this.refusal('delete', opts);
  }

  /** The state as `tsrun state` prints it. */
  ociState(): OciState {
    return ociState(this.state, this.status);
  }

  /** Releases the lock. */
  close(): void {
    this.dir.close();
  }
}

/** Opens container id, runs fn with it, and closes it, whatever fn does. */
export function withContainer<T>(store: StateStore, id: string, mode: LockMode, fn: (c: Container) => T): T {
  const c = Container.open(store, id, mode);
  try {
    return fn(c);
  } finally {
    c.close();
  }
}
