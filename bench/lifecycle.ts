// Benchmarks tsrun against runc in the same run (these machines are noisy, so
// only ratios mean anything): wall time of `run` of a trivial container, of
// create+start+delete, and the memory of an init waiting in `created`.
// `node -e 0` is measured beside them as the floor node sets for tsrun.
// NODE_EXTRA_CA_CERTS is removed: it adds ~45 ms to every node start here.
//   node dist/bench/lifecycle.js [iterations]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { baseConfig, repoRoot } from '../test/integration/harness.js';
import { benchEnv, commandTimer, median, stateRoots } from './timing.js';

const iterations = Number(process.argv[2] ?? 20);


const tsrun = path.join(repoRoot, 'bin', 'tsrun');
const bundle = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-bench-'));
fs.writeFileSync(path.join(bundle, 'config.json'), JSON.stringify(baseConfig(['true'])));
const state = stateRoots(['tsrun', 'runc'] as const);
const roots = state.roots;

const time = commandTimer(path.join(bundle, 'stderr'));

function rssKb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

type Runtime = 'tsrun' | 'runc';
const bin = (rt: Runtime) => (rt === 'tsrun' ? tsrun : 'runc');

const results: Record<string, Record<Runtime | 'node -e 0', number>> = {};
const samples = { run: { tsrun: [] as number[], runc: [] as number[] }, lifecycle: { tsrun: [] as number[], runc: [] as number[] } };
const floor: number[] = [];
for (let i = 0; i < iterations; i++) {
  floor.push(time(process.execPath, ['-e', '0']));
  // Interleaved, so drift in the machine's load hits both alike.
  for (const rt of ['tsrun', 'runc'] as Runtime[]) {
    samples.run[rt].push(time(bin(rt), ['--root', roots[rt], 'run', '--bundle', bundle, `r${i}`]));
    const id = `l${i}`;
    let t = time(bin(rt), ['--root', roots[rt], 'create', '--bundle', bundle, id]);
    t += time(bin(rt), ['--root', roots[rt], 'start', id]);
    t += time(bin(rt), ['--root', roots[rt], 'delete', '--force', id]);
    samples.lifecycle[rt].push(t);
  }
}
for (const k of ['run', 'lifecycle'] as const) {
  results[k] = { tsrun: median(samples[k].tsrun), runc: median(samples[k].runc), 'node -e 0': median(floor) };
}

// Memory of the process that waits in `created`.
const mem: Record<Runtime, number> = { tsrun: 0, runc: 0 };
for (const rt of ['tsrun', 'runc'] as Runtime[]) {
  spawnSync(bin(rt), ['--root', roots[rt], 'create', '--bundle', bundle, 'mem'], { env: benchEnv, stdio: 'ignore' });
  const state = JSON.parse(spawnSync(bin(rt), ['--root', roots[rt], 'state', 'mem'], { encoding: 'utf8' }).stdout);
  mem[rt] = rssKb(state.pid);
  spawnSync(bin(rt), ['--root', roots[rt], 'delete', '--force', 'mem'], { stdio: 'ignore' });
}

console.log(`iterations: ${iterations}, medians in ms, ${state.where}`);
console.log('scenario            tsrun     runc   node -e 0   tsrun/runc');
for (const [k, v] of Object.entries(results)) {
  console.log(
    `${k.padEnd(18)} ${v.tsrun.toFixed(1).padStart(6)} ${v.runc.toFixed(1).padStart(8)} ${v['node -e 0'].toFixed(1).padStart(11)} ${(v.tsrun / v.runc).toFixed(2).padStart(12)}`,
  );
}
console.log(`init RSS while created: tsrun ${mem.tsrun} kB, runc ${mem.runc} kB (ratio ${(mem.tsrun / mem.runc).toFixed(3)})`);

fs.rmSync(bundle, { recursive: true, force: true });
state.done();
