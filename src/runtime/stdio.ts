// The library's stdio for `run` and `exec`, as child_process.spawn takes it:
// each of the process's 0, 1 and 2 is 'inherit' (the program's own, the CLI's
// way), 'pipe' (a stream the program reads or writes), 'ignore' (/dev/null)
// or an fd of the program's. tsrun-init is spawned with them (spawnInit's
// stdio); the container's process inherits them from it.
import fs from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { constants } from 'node:os';
import { PlanError } from '../core/errors.js';
import type { NativeCore, WaitResult } from '../core/native.js';

export type StdioOption = 'inherit' | 'pipe' | 'ignore' | number;
/** One option for all three, or one each for stdin, stdout and stderr. */
export type StdioOptions = 'inherit' | 'pipe' | 'ignore' | [StdioOption, StdioOption, StdioOption];

/** How the process ended: runc's exit status (128+N if signal N killed it), and that signal's name. */
export interface ProcessExit {
  status: number;
  signal: NodeJS.Signals | null;
}

/**
 * A process `run` or `exec` started with stdio: its streams (null where the
 * option was not 'pipe'), as child_process's are, and its end.
 */
export interface ContainerProcess {
  /** The container's (run) or the exec'd process's host pid. */
  pid: number;
  stdin: Writable | null;
  stdout: Readable | null;
  stderr: Readable | null;
  /**
   * Resolves when the process has exited (for a foreground run, once the
   * container is removed too). The streams end on their own when every
   * holder of their other end has closed it.
   */
  exit: Promise<ProcessExit>;
}

/** stdio: 'pipe' gives all three streams. */
export interface PipedContainerProcess extends ContainerProcess {
  stdin: Writable;
  stdout: Readable;
  stderr: Readable;
}

/** The fds a process is given and our ends of its pipes; close the given ones once tsrun-init has its copies. */
export class Stdio {
  /** What spawnInit gives tsrun-init as 0, 1, 2 (-1: ours). */
  readonly childFds: [number, number, number] = [-1, -1, -1];
  private readonly ours: (number | undefined)[] = [undefined, undefined, undefined];
  private readonly toClose: number[] = [];

  private constructor() {}

  /** undefined: all three inherited, nothing to do (the CLI's case). */
  static open(options: StdioOptions | undefined, core: NativeCore): Stdio | undefined {
    const each = Array.isArray(options) ? options : [options ?? 'inherit', options ?? 'inherit', options ?? 'inherit'];
    if (each.length !== 3) throw new TypeError('stdio: an array needs three options (stdin, stdout, stderr)');
    if (each.every((o) => o === 'inherit')) return undefined;
    const s = new Stdio();
    try {
      each.forEach((o, i) => {
        if (o === 'inherit') return;
        if (typeof o === 'number') {
          if (!Number.isInteger(o) || o < 0) throw new TypeError(`stdio[${i}]: ${o} is not an fd`);
          s.childFds[i] = o;
        } else if (o === 'ignore') {
          const fd = fs.openSync('/dev/null', i === 0 ? 'r' : 'w');
          s.toClose.push(fd);
          s.childFds[i] = fd;
        } else if (o === 'pipe') {
          // A stream socket pair, as libuv makes child_process's pipes.
          const [ours, theirs] = core.socketPair(false);
          s.ours[i] = ours;
          s.toClose.push(theirs);
          s.childFds[i] = theirs;
        } else {
          throw new TypeError(`stdio[${i}]: ${JSON.stringify(o)} is not 'inherit', 'pipe', 'ignore' or an fd`);
        }
      });
    } catch (e) {
      s.close();
      throw e;
    }
    return s;
  }

  /** A terminal is the process's stdio: other stdio cannot be given with it. */
  checkNoTerminal(terminal: boolean): void {
    if (terminal) {
      throw new PlanError('/process/terminal', "is true: the terminal becomes the process's stdin, stdout and stderr", "give stdio 'inherit' (or a consoleSocket), or set it to false");
    }
  }

  /** After spawnInit: tsrun-init holds its copies; ours must go, or a pipe never ends. */
  closeGiven(): void {
    for (const fd of this.toClose.splice(0)) fs.closeSync(fd);
  }

  /** On failure: every fd, ours too. */
  close(): void {
    this.closeGiven();
    for (const [i, fd] of this.ours.entries()) {
      if (fd !== undefined) fs.closeSync(fd);
      this.ours[i] = undefined;
    }
  }

  /** Our ends as streams (the fds then belong to them). */
  streams(): Pick<ContainerProcess, 'stdin' | 'stdout' | 'stderr'> {
    // net is loaded here, not by every command.
    const net = process.getBuiltinModule('node:net');
    const socket = (i: number, readable: boolean) => {
      const fd = this.ours[i];
      this.ours[i] = undefined;
      return fd === undefined ? null : new net.Socket({ fd, readable, writable: !readable });
    };
    return { stdin: socket(0, false), stdout: socket(1, true), stderr: socket(2, true) };
  }
}

/** A wait's result as ProcessExit. */
export function processExit(r: WaitResult): ProcessExit {
  if (!r.signal) return { status: r.code, signal: null };
  const name = Object.entries(constants.signals).find(([, n]) => n === r.signal)?.[0] as NodeJS.Signals | undefined;
  return { status: 128 + r.signal, signal: name ?? null };
}
