// What a CRIU test started, so that its cleanup can end it: the criu
// processes (through a wrapper that records each one's pid and start time
// before it becomes the real criu) and the runtime commands it left running
// in the background. A criu whose dump hangs outlives the runtime that ran it
// (a timed-out runc leaves its criu behind), and the container it holds
// cannot be deleted until that criu is gone.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isAlive } from '../../src/runtime/proc.js';

/** The pids under pid (children, theirs, ...). */
export function descendants(pid: number): number[] {
  let kids: number[] = [];
  try {
    kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return kids.flatMap((k) => [k, ...descendants(k)]);
}

function kill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export class CriuGuard {
  /** The wrapper to hand the runtimes as their criu (--criu, or first on PATH as `criu`). */
  readonly criu: string;
  /** The wrapper's directory: put it first on PATH for engines that look criu up by name. */
  readonly dir: string;
  private readonly children = new Set<ChildProcess>();

  constructor(readonly real: string) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-criu-guard-'));
    fs.chmodSync(this.dir, 0o755);
    this.criu = path.join(this.dir, 'criu');
    // The wrapper's comm is "criu" or "sh": no space, so field 22 of its stat is the start time.
    fs.writeFileSync(
      this.criu,
      `#!/bin/sh\necho "$$ $(cut -d' ' -f22 /proc/$$/stat)" >> '${this.dir}/pids'\nexec '${real}' "$@"\n`,
      { mode: 0o755 },
    );
    process.on('exit', () => fs.rmSync(this.dir, { recursive: true, force: true }));
  }

  /** A command the test runs in the background: killed by reap() if it still runs then. */
  track<C extends ChildProcess>(child: C): C {
    this.children.add(child);
    child.once('close', () => this.children.delete(child));
    return child;
  }

  /** The criu processes the wrapper started that still run (the same pid and start time). */
  running(): number[] {
    let lines: string[] = [];
    try {
      lines = fs.readFileSync(path.join(this.dir, 'pids'), 'utf8').trim().split('\n').filter(Boolean);
    } catch {
      return [];
    }
    return lines.map((l) => l.split(' ').map(Number)).filter(([pid, start]) => isAlive(pid, start)).map(([pid]) => pid);
  }

  /** SIGKILLs every criu the wrapper started that still runs, and what each forked; returns their pids. */
  killAll(): number[] {
    const pids = this.running();
    for (const pid of pids) for (const p of [pid, ...descendants(pid)]) kill(p);
    return pids;
  }

  /**
   * SIGKILLs the background commands still running, every criu the wrapper
   * started that still runs, and what those criu forked; waits up to ms for
   * the criu to be gone. Returns the criu pids it killed, and any that
   * outlived the wait (a task stuck in the kernel).
   */
  async reap(ms = 10_000): Promise<{ killed: number[]; stuck: number[] }> {
    for (const child of this.children) if (child.pid && child.exitCode === null && child.signalCode === null) kill(child.pid);
    const killed = this.killAll();
    const end = Date.now() + ms;
    let stuck = this.running();
    while (stuck.length && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 50));
      stuck = this.running();
    }
    return { killed, stuck };
  }
}
