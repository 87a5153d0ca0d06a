// What every benchmark shares: the environment commands run in (no
// NODE_EXTRA_CA_CERTS, which adds ~45 ms to each node start here), wall-clock
// timing of one command, and medians.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

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
