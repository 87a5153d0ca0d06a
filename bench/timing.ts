// What every benchmark shares: the environment commands run in (no
// NODE_EXTRA_CA_CERTS, which adds ~45 ms to each node start here), wall-clock
// timing of one command, and medians.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const benchEnv: NodeJS.ProcessEnv = { ...process.env };
delete benchEnv.NODE_EXTRA_CA_CERTS;

/**
 * Returns a timer that runs a command to completion and gives its wall time
 * in ms. stderr goes to errFile, not a pipe: a created container keeps its
 * stderr open, so a pipe would never end.
 */
export function commandTimer(errFile: string) {
  return (cmd: string, args: string[]): number => {
    const err = fs.openSync(errFile, 'w');
    const t = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { env: benchEnv, stdio: ['ignore', 'ignore', err] });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    fs.closeSync(err);
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${fs.readFileSync(errFile, 'utf8')}`);
    return ms;
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/**
 * State roots for the runtimes under test, one per name, on a tmpfs of the
 * bench's own (as the default roots are: /run is a tmpfs on most machines;
 * on a disk, each create's fsync of its state costs tens of ms, which is the
 * disk's, not the runtime's). BENCH_ROOTS=disk puts them in /tmp instead.
 * where says which; done() unmounts and removes them.
 */
export function stateRoots<T extends string>(names: readonly T[]): { roots: Record<T, string>; where: string; done(): void } {
  const disk = process.env.BENCH_ROOTS === 'disk';
  const top = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-bench-roots-'));
  if (!disk && spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256m,mode=0700', 'tsrun-bench', top]).status !== 0) {
    fs.rmSync(top, { recursive: true, force: true });
    throw new Error(`cannot mount a tmpfs on ${top} for the state roots (root needed; BENCH_ROOTS=disk uses ${os.tmpdir()})`);
  }
  const roots = Object.fromEntries(names.map((n) => [n, path.join(top, n)])) as Record<T, string>;
  for (const r of Object.values<string>(roots)) fs.mkdirSync(r);
  return {
    roots,
    where: disk ? `state roots on disk (${os.tmpdir()})` : 'state roots on a tmpfs',
    done() {
      if (!disk) spawnSync('umount', [top]);
      fs.rmSync(top, { recursive: true, force: true });
    },
  };
}
