// Issue 13's table: what each tsrun command costs beside runc's and beside
// node's own start-up (`node -e 0`, "the floor"), all measured in one run,
// interleaved, so that the machine's drifting load hits all alike. Medians,
// and each command's median less a `node -e 0` run just before it ("paired").
// It builds its own busybox bundle (test/integration/harness.ts), and runs
// every command without NODE_EXTRA_CA_CERTS (bench/timing.ts).
//   node dist/bench/startup.js [iterations]
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { baseConfig, repoRoot } from '../test/integration/harness.js';
import { benchEnv, commandTimer, median, stateRoots } from './timing.js';

const iterations = Number(process.argv[2] ?? 15);
const CONCURRENT_TOTAL = 100;
const CONCURRENCY = 10;

type Runtime = 'tsrun' | 'runc';
const RUNTIMES: Runtime[] = ['tsrun', 'runc'];
const bin = (rt: Runtime) => (rt === 'tsrun' ? path.join(repoRoot, 'bin', 'tsrun') : 'runc');
// The floor is the node bin/tsrun runs (dist/node-path).
const node = fs.readFileSync(path.join(repoRoot, 'dist', 'node-path'), 'utf8').trim();

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-bench-startup-'));
function bundle(name: string, args: string[]): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(baseConfig(args)));
  return dir;
}
const trueBundle = bundle('true', ['true']);
const sleepBundle = bundle('sleep', ['sleep', '1000000']);
const state = stateRoots(RUNTIMES);
const roots = state.roots;
// What node itself costs to run a main script, as tsrun does (bin/tsrun runs
// node on a launch file, dist/<bundle>-launch.cjs): an empty one.
const emptyScript = path.join(work, 'empty.cjs');
fs.writeFileSync(emptyScript, '');
const time = commandTimer(path.join(work, 'stderr'));
const rt = (r: Runtime, ...args: string[]): [string, string[]] => [bin(r), ['--root', roots[r], ...args]];
const quiet = (r: Runtime, ...args: string[]) => spawnSync(...rt(r, ...args), { env: benchEnv, stdio: 'ignore' });
function status(r: Runtime, id: string): string {
  const s = spawnSync(...rt(r, 'state', id), { env: benchEnv, encoding: 'utf8' });
  return s.status === 0 ? JSON.parse(s.stdout).status : 'absent';
}
function waitStatus(r: Runtime, id: string, want: string): void {
  for (let i = 0; i < 1000; i++) if (status(r, id) === want) return;
  throw new Error(`${r}: ${id} did not become ${want}`);
}
function rssKb(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

// Two containers each command can act on: one created (state, list), one running (kill).
for (const r of RUNTIMES) {
  if (quiet(r, 'create', '--bundle', trueBundle, 'created').status !== 0) throw new Error(`${r} create failed`);
  quiet(r, 'create', '--bundle', sleepBundle, 'running');
  quiet(r, 'start', 'running');
  waitStatus(r, 'running', 'running');
}
const rss = Object.fromEntries(RUNTIMES.map((r) => [r, rssKb(JSON.parse(spawnSync(...rt(r, 'state', 'created'), { encoding: 'utf8' }).stdout).pid)]));

type Row = 'version' | 'state' | 'list' | 'kill' | 'start' | 'delete' | 'run' | 'lifecycle';
const samples = Object.fromEntries(
  (['version', 'state', 'list', 'kill', 'start', 'delete', 'run', 'lifecycle'] as Row[]).map((k) => [k, { tsrun: [] as number[], runc: [] as number[] }]),
) as Record<Row, Record<Runtime, number[]>>;
const floor: number[] = [];
const scriptFloor: number[] = [];
// Each command's time less a `node -e 0` run just before it: the machine's
// speed drifts within seconds here (the floor moved 28-37 ms within one run),
// and a paired difference cancels what a median of each alone does not.
// Both runtimes are timed alike; only tsrun's differences are reported.
const paired = Object.fromEntries(Object.keys(samples).map((k) => [k, [] as number[]])) as Record<Row, number[]>;

/** Times the command and a node start right before it; records both for row. */
function sample(row: Row, r: Runtime, ...cmds: [string, string[]][]): void {
  let ms = 0;
  let floors = 0;
  for (const [cmd, args] of cmds) {
    floors += time(node, ['-e', '0']);
    ms += time(cmd, args);
  }
  samples[row][r].push(ms);
  if (r === 'tsrun') paired[row].push(ms - floors);
}

for (let i = 0; i < iterations; i++) {
  for (const r of RUNTIMES) {
    floor.push(time(node, ['-e', '0']));
    scriptFloor.push(time(node, [emptyScript]));
    sample('version', r, [bin(r), ['--version']]);
    sample('state', r, rt(r, 'state', 'created'));
    sample('list', r, rt(r, 'list'));
    sample('kill', r, rt(r, 'kill', 'running', 'CONT'));
    sample('run', r, rt(r, 'run', '--bundle', trueBundle, `run${i}`));
    // create + start + delete -f, as an engine does it.
    const l = `l${i}`;
    sample('lifecycle', r, rt(r, 'create', '--bundle', trueBundle, l), rt(r, 'start', l), rt(r, 'delete', '--force', l));
    // start alone, and delete of a container that has stopped.
    const s = `s${i}`;
    time(...rt(r, 'create', '--bundle', trueBundle, s));
    sample('start', r, rt(r, 'start', s));
    waitStatus(r, s, 'stopped');
    sample('delete', r, rt(r, 'delete', s));
  }
}
for (const r of RUNTIMES) for (const id of ['created', 'running']) quiet(r, 'delete', '--force', id);

/**
 * What the 100-container row runs: tsrun, runc, and "node+runc", runc with a
 * node start (`node -e 0`) before each of its commands, as a runtime that
 * cost runc's work plus node's start-up would: the goal's own reference,
 * measured in the same run instead of computed from the floor.
 */
type Concurrent = Runtime | 'node+runc';
const CONCURRENT: Concurrent[] = ['tsrun', 'runc', 'node+runc'];
const ROUNDS = 3;

/** n containers, each created, started and deleted (-f), c at a time; wall ms and failures. */
async function concurrent(who: Concurrent, n: number, c: number): Promise<{ ms: number; failures: number; left: number }> {
  const r: Runtime = who === 'tsrun' ? 'tsrun' : 'runc';
  const spawned = (cmd: string, args: string[]) =>
    new Promise<number>((resolve) => {
      const p = spawn(cmd, args, { env: benchEnv, stdio: 'ignore' });
      p.on('exit', (code) => resolve(code ?? 1));
      p.on('error', () => resolve(1));
    });
  const one = async (args: string[]) => {
    if (who === 'node+runc' && (await spawned(node, ['-e', '0'])) !== 0) return 1;
    return spawned(...rt(r, ...args));
  };
  let next = 0;
  let failures = 0;
  const t = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: c }, async () => {
      while (next < n) {
        const id = `c${next++}`;
        for (const args of [['create', '--bundle', trueBundle, id], ['start', id], ['delete', '--force', id]]) {
          if ((await one(args)) !== 0) {
            failures++;
            break;
          }
        }
      }
    }),
  );
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  const left = fs.readdirSync(roots[r]).length;
  for (const id of fs.readdirSync(roots[r])) quiet(r, 'delete', '--force', id);
  return { ms, failures, left };
}

// Rounds alternate between the runtimes, so that a slow minute of the machine
// hits each alike; each runtime's row is its median round, and failures and
// leftovers are summed over all rounds.
const rounds: Record<Concurrent, { ms: number; failures: number; left: number }[]> = { tsrun: [], runc: [], 'node+runc': [] };
for (let i = 0; i < ROUNDS; i++) for (const who of CONCURRENT) rounds[who].push(await concurrent(who, CONCURRENT_TOTAL, CONCURRENCY));
const conc = Object.fromEntries(
  CONCURRENT.map((who) => [
    who,
    {
      ms: median(rounds[who].map((x) => x.ms)),
      failures: rounds[who].reduce((a, x) => a + x.failures, 0),
      left: rounds[who].reduce((a, x) => a + x.left, 0),
    },
  ]),
) as Record<Concurrent, { ms: number; failures: number; left: number }>;

// The table.
const f = median(floor);
const m = (k: Row, r: Runtime) => median(samples[k][r]);
// Each goal as [label, wording, the most tsrun − floor may be, the most the
// paired figure may be (less three floors for create+start+delete)].
const goals: Record<Row, [string, string, number, number]> = {
  version: ['--version', 'floor + 5', 5, 5],
  state: ['state (created)', 'floor + 5', 5, 5],
  list: ['list', 'floor + 5', 5, 5],
  kill: ['kill', 'floor + 5', 5, 5],
  start: ['start', 'floor + runc', m('start', 'runc'), m('start', 'runc')],
  delete: ['delete (stopped)', 'floor + runc', m('delete', 'runc'), m('delete', 'runc')],
  run: ['run busybox true', 'floor + runc', m('run', 'runc'), m('run', 'runc')],
  lifecycle: ['create+start+delete -f', '3 floors + runc', 2 * f + m('lifecycle', 'runc'), m('lifecycle', 'runc')],
};
const fmt = (x: number, w = 8) => x.toFixed(1).padStart(w);
const load = os.loadavg().map((x) => x.toFixed(1)).join(' ');
console.log(`tsrun start-up bench: ${iterations} iterations, medians in ms; ${os.cpus().length} CPUs, load average ${load}, node ${process.version}, kernel ${os.release()}`);
console.log(`floor (node -e 0, same run): ${f.toFixed(1)} ms; node running an empty script: ${median(scriptFloor).toFixed(1)} ms; ${state.where}`);
console.log('"paired": the median of each run less the node -e 0 run just before it (for create+start+delete, the three before its three commands)');
console.log('');
console.log(`| command | tsrun | runc | floor | tsrun − floor | paired | tsrun/runc | goal | ≤ goal | paired ≤ goal |`);
console.log(`|---|---:|---:|---:|---:|---:|---:|---|---|---|`);
for (const [k, [label, goalText, over, pairedOver]] of Object.entries(goals) as [Row, [string, string, number, number]][]) {
  const t = m(k, 'tsrun');
  const c = m(k, 'runc');
  const p = median(paired[k]);
  console.log(
    `| ${label} | ${fmt(t)} | ${fmt(c)} | ${fmt(f)} | ${fmt(t - f)} | ${fmt(p)} | ${(t / c).toFixed(2)} | ${goalText} = ${(f + over).toFixed(1)} | ${t - f <= over ? 'pass' : 'FAIL'} | ${p <= pairedOver ? 'pass' : 'FAIL'} |`,
  );
}
const concGoal = conc.runc.ms + (300 * f) / os.cpus().length;
const concPass = conc.tsrun.failures === 0 && conc.tsrun.left === 0 && conc.tsrun.ms <= concGoal;
console.log(
  `| ${CONCURRENT_TOTAL} × create+start+delete, ${CONCURRENCY} at a time (wall) | ${fmt(conc.tsrun.ms)} | ${fmt(conc.runc.ms)} | ${fmt(f)} | | | ${(conc.tsrun.ms / conc.runc.ms).toFixed(2)} | runc + 300 floors / ${os.cpus().length} CPUs = ${concGoal.toFixed(0)} | ${concPass ? 'pass' : 'FAIL'} | |`,
);
console.log(
  `| ${CONCURRENT_TOTAL} × the same with node+runc (runc, each command after a node -e 0) | ${fmt(conc.tsrun.ms)} | ${fmt(conc['node+runc'].ms)} | ${fmt(f)} | | | ${(conc.tsrun.ms / conc['node+runc'].ms).toFixed(2)} (tsrun/(node+runc)) | | | |`,
);
console.log('');
console.log(
  `${CONCURRENT_TOTAL} containers, ${CONCURRENCY} at a time, median of ${ROUNDS} alternating rounds (${CONCURRENT.map((w) => `${w} ${rounds[w].map((x) => x.ms.toFixed(0)).join('/')}`).join('; ')} ms): ` +
    CONCURRENT.map((w) => `${w} ${conc[w].failures} failures, ${conc[w].left} left`).join('; '),
);
console.log(`init RSS while created: tsrun ${rss.tsrun} kB, runc ${rss.runc} kB (goal: tsrun ≤ 1024 kB: ${rss.tsrun <= 1024 ? 'pass' : 'FAIL'})`);

fs.rmSync(work, { recursive: true, force: true });
state.done();
