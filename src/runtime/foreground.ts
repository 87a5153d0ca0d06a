// Waiting in the foreground for a child that tsrun starts (`run`'s init,
// `exec`'s process): the signals tsrun receives go on to it, and its end
// becomes runc's exit code.
import { constants as osConstants } from 'node:os';
import { nativeCore, type NativeCore } from '../core/native.js';
import { processExit, Stdio, type ContainerProcess, type ProcessExit, type StdioOptions } from './stdio.js';

// Every signal a caller may send to tsrun that the process should get.
const FORWARDED: NodeJS.Signals[] = [
  'SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2', 'SIGCONT', 'SIGWINCH', 'SIGALRM', 'SIGTSTP',
  'SIGTTIN', 'SIGTTOU', 'SIGVTALRM', 'SIGPROF', 'SIGIO', 'SIGPWR', 'SIGSYS', 'SIGTRAP', 'SIGXCPU', 'SIGXFSZ',
];

// Of those, the ones whose default action does not end a process.
const NOT_ENDING = new Set<NodeJS.Signals>(['SIGCONT', 'SIGWINCH', 'SIGTSTP', 'SIGTTIN', 'SIGTTOU']);

/** Waits for a child tsrun started and touches no signal: what a program embedding tsrun gets. */
export class ChildWaiter {
  constructor(protected readonly core: NativeCore = nativeCore) {}

  /** Waits for pid (our child) and returns its exit code, or 128+N if signal N killed it. */
  async wait(pid: number): Promise<number> {
    return (await this.waitExit(pid)).status;
  }

  /** Waits for pid (our child): its exit status and the signal that killed it. */
  async waitExit(pid: number): Promise<ProcessExit> {
    try {
      return processExit(await this.core.waitPidAsync(pid));
    } finally {
      this.stop();
    }
  }

  /** A signal held so far that would end a process by default: none are held here. */
  endingSignal(): NodeJS.Signals | undefined {
    return undefined;
  }

  /** Ends tsrun by sig (only SignalForwarder holds signals to end by). */
  endBy(sig: NodeJS.Signals): never {
    throw new Error(`ChildWaiter holds no signal (${sig})`);
  }

  stop(): void {}
}

/**
 * Takes the signals over before the process starts, as runc does: one that
 * arrives while it is being started would otherwise end tsrun and leave
 * the process without its parent; it is held and delivered once the pid is known.
 */
export class SignalForwarder extends ChildWaiter {
  private pid = 0;
  private held: NodeJS.Signals[] = [];
  private readonly forward = (sig: NodeJS.Signals) => {
    if (!this.pid) {
      this.held.push(sig);
      return;
    }
    try {
      process.kill(this.pid, sig);
    } catch {
      // it has just exited
    }
  };

  constructor(core?: NativeCore) {
    super(core);
    for (const sig of FORWARDED) process.on(sig, this.forward);
  }

  override waitExit(pid: number): Promise<ProcessExit> {
    this.pid = pid;
    for (const sig of this.held.splice(0)) this.forward(sig);
    return super.waitExit(pid);
  }

  /** A signal held so far that would end a process by default (SIGTERM, SIGINT, …). */
  override endingSignal(): NodeJS.Signals | undefined {
    return this.held.find((s) => !NOT_ENDING.has(s));
  }

  /**
   * Ends tsrun by sig, as if it had never been caught: for a wait before
   * anything was started, which no process would outlive.
   */
  override endBy(sig: NodeJS.Signals): never {
    this.stop();
    process.kill(process.pid, sig);
    // Not reached while node gives the signal its default action back.
    process.exit(128 + (osConstants.signals[sig] ?? 0));
  }

  /** Gives the signals back to node's defaults. */
  override stop(): void {
    for (const sig of FORWARDED) process.off(sig, this.forward);
  }
}

/**
 * A process started with the stdio a library caller asked for (run, exec):
 * its pid and our ends of its streams at once; exit when it ends. When the
 * launch did not wait (detached), the wait starts when exit is first read.
 * A failed launch closes the pipes made for it.
 */
export async function launchWithStdio(
  core: NativeCore,
  options: StdioOptions,
  launch: (stdio: Stdio | undefined) => Promise<{ pid: number; done?: Promise<ProcessExit> }>,
): Promise<ContainerProcess> {
  const stdio = Stdio.open(options, core);
  let launched: { pid: number; done?: Promise<ProcessExit> };
  try {
    launched = await launch(stdio);
  } catch (e) {
    stdio?.close();
    throw e;
  }
  const { pid, done } = launched;
  const streams = stdio?.streams() ?? { stdin: null, stdout: null, stderr: null };
  let waiting = done;
  return {
    pid,
    ...streams,
    get exit() {
      return (waiting ??= new ChildWaiter(core).waitExit(pid));
    },
  };
}
