// Issue 13's engine figures: what an engine's `run --rm … true` costs with
// tsrun beside runc, and how many times the engine ran the runtime for it (N,
// counted by a wrapper that logs each run and execs the runtime). The goal is
// that tsrun adds node's start-up and nothing more: tsrun − runc ≤ N × floor +
// 30 ms, the floor being `node -e 0` in the same run. podman (cgroupfs,
// --network none), containerd (ctr run --rm --runc-binary) and docker
// (dockerd --add-runtime), each set up as test/engines/ sets it up (its own
// storage, daemons and image, all removed at the end). An engine that is not
// installed or cannot start here is skipped, saying why.
// BENCH_TRACE=1 prints each counted run of the runtime with its own wall time.
//   node dist/bench/engines.js [iterations]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DaemonFailed,
  Workspace,
  imageRootfs,
  ociArchive,
  rootfsTar,
  run,
  runtimes,
  skipReason,
  startContainerd,
  startDockerd,
  which,
} from '../test/engines/engine-harness.js';
import { Podman } from '../test/engines/podman-harness.js';
import { repoRoot } from '../test/integration/harness.js';
import { benchEnv, median } from './timing.js';

const iterations = Number(process.argv[2] ?? 8);
const node = fs.readFileSync(path.join(repoRoot, 'dist', 'node-path'), 'utf8').trim();
type Runtime = 'runc' | 'tsrun';
const bins = Object.fromEntries(runtimes().map((r) => [r.name, r.bin])) as Record<Runtime, string>;

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-bench-engines-'));
fs.chmodSync(work, 0o755);

/** A wrapper of the runtime that appends its command line to a log, then execs the runtime. */
function countingWrapper(r: Runtime): { bin: string; log: string } {
  const bin = path.join(work, `${r}-counted`);
  const log = path.join(work, `${r}-counted.log`);
  fs.writeFileSync(bin, `#!/bin/sh\necho "$*" >> ${log}\nexec ${bins[r]} "$@"\n`, { mode: 0o755 });
  // Traced: not an exec, so the runtime is not the engine's child itself; for looking, not for the figures.
  if (process.env.BENCH_TRACE) {
    fs.writeFileSync(bin, `#!/bin/bash\ns=$(date +%s%N); ${bins[r]} "$@"; rc=$?; e=$(date +%s%N); echo "$(( (e-s)/1000000 )) ms, exit $rc: $*" >> ${log}; exit $rc\n`, { mode: 0o755 });
  }
  return { bin, log };
}
const counted = { runc: countingWrapper('runc'), tsrun: countingWrapper('tsrun') };

/** The runtime's commands in the log (the words that are not flags or their values), one line per run. */
function commandsRun(log: string): string[] {
  const lines = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
  if (process.env.BENCH_TRACE) console.log(lines.join('\n'));
  fs.rmSync(log, { force: true });
  const known = new Set(['create', 'start', 'state', 'kill', 'delete', 'run', 'exec', 'features', 'list', 'ps', 'pause', 'resume', 'update', 'events', '--version', '--help']);
  return lines.map((l) => l.split(' ').find((w) => known.has(w)) ?? l.split(' ')[0]);
}

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = benchEnv): number {
  const t = process.hrtime.bigint();
  const r = run(cmd, args, { env });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.code !== 0) throw new Error(`${path.basename(cmd)} ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
  return ms;
}

interface EngineRow {
  engine: string;
  n: Record<Runtime, string[]>;
  ms: Record<Runtime, number>;
  floor: number;
}
const rows: EngineRow[] = [];
const skipped: string[] = [];

/**
 * Times one engine: runOnce(runtime) runs a container (with the plain binary,
 * or with the counting wrapper when counted is set), interleaved with `node -e 0`.
 */
function measure(engine: string, runOnce: (r: Runtime, counted: boolean) => number): void {
  runOnce('runc', false); // the engine's caches warm
  const n = { runc: [] as string[], tsrun: [] as string[] };
  for (const r of ['runc', 'tsrun'] as Runtime[]) {
    runOnce(r, true);
    n[r] = commandsRun(counted[r].log);
  }
  const samples = { runc: [] as number[], tsrun: [] as number[] };
  const floor: number[] = [];
  for (let i = 0; i < iterations; i++) {
    floor.push(timed(node, ['-e', '0']));
    for (const r of ['runc', 'tsrun'] as Runtime[]) samples[r].push(runOnce(r, false));
  }
  rows.push({ engine, n, ms: { runc: median(samples.runc), tsrun: median(samples.tsrun) }, floor: median(floor) });
}

async function podman(): Promise<void> {
  const skip = skipReason('podman', ['podman']);
  if (skip) return void skipped.push(`podman: ${skip}`);
  const p = new Podman('bench-podman', `tsrun-bench-podman-${process.pid}`);
  try {
    p.setUp('localhost/tsrun-bench-busybox');
    // The counting wrappers, as runtimes of their own (the [engine.runtimes] table is last).
    fs.appendFileSync(p.ws.path('containers.conf'), Object.entries(counted).map(([r, c]) => `${r}-counted = [${JSON.stringify(c.bin)}]\n`).join(''));
    let i = 0;
    measure('podman run --rm --network none … true (cgroupfs)', (r, isCounted) => {
      const t = process.hrtime.bigint();
      const res = p.run(isCounted ? `${r}-counted` : r, [
        'run', '--rm', '--network', 'none', '--cgroup-parent', `/tsrun-bench-podman-${process.pid}`, '--name', `bench${i++}`,
        // As test/engines/podman.test.ts: podman's default rlimits are above the hard limit on machines without CAP_SYS_RESOURCE.
        '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024',
        'localhost/tsrun-bench-busybox', 'true',
      ], benchEnv);
      if (res.code !== 0) throw new Error(`podman run (${r}): ${res.stderr}`);
      return Number(process.hrtime.bigint() - t) / 1e6;
    });
  } finally {
    await p.cleanup();
  }
}

async function containerd(): Promise<void> {
  const skip = skipReason('containerd', ['containerd', 'ctr', 'containerd-shim-runc-v2']);
  if (skip) return void skipped.push(`containerd: ${skip}`);
  const ws = new Workspace('bench-containerd');
  const parent = `tsrun-bench-containerd-${process.pid}`;
  ws.cgroupParents.push(parent);
  const image = 'localhost/tsrun-bench-busybox:latest';
  try {
    let address: string;
    try {
      address = await startContainerd(ws);
    } catch (e) {
      if (!(e instanceof DaemonFailed)) throw e;
      return void skipped.push(`containerd: ${e.message}`);
    }
    const ctr = which('ctr')!;
    const base = ['--address', address, '--namespace', 'tsrun-bench'];
    const imported = run(ctr, [...base, 'images', 'import', ociArchive(ws, rootfsTar(ws, imageRootfs(ws)), image)]);
    if (imported.code !== 0) throw new Error(`ctr images import: ${imported.stderr}`);
    let i = 0;
    measure('ctr run --rm --runc-binary … true', (r, isCounted) => {
      const name = `bench${i++}`;
      return timed(ctr, [
        ...base, 'run', '--rm', '--runtime', 'io.containerd.runc.v2', '--runc-binary', isCounted ? counted[r].bin : bins[r],
        '--cgroup', `/${parent}/${name}`, image, name, 'true',
      ]);
    });
    run(ctr, [...base, 'images', 'rm', image]);
  } finally {
    const problems = await ws.cleanup();
    if (problems.length) throw new Error(`containerd left things behind: ${problems.join('; ')}`);
  }
}

async function docker(): Promise<void> {
  const skip = skipReason('docker', ['dockerd', 'containerd', 'ctr']);
  const client = which('docker', ['/usr/bin']);
  if (skip || !client) return void skipped.push(`docker: ${skip || 'no docker client'}`);
  const ws = new Workspace('bench-docker');
  const parent = `tsrun-bench-docker-${process.pid}`;
  ws.cgroupParents.push(parent);
  let host = '';
  const d = (args: string[]) => run(client, ['-H', host, ...args]);
  const image = 'tsrun-bench-busybox:latest';
  let started = false;
  try {
    try {
      host = await startDockerd(ws, client, parent, {
        tsrun: bins.tsrun,
        'runc-counted': counted.runc.bin,
        'tsrun-counted': counted.tsrun.bin,
      });
      started = true;
    } catch (e) {
      if (!(e instanceof DaemonFailed)) throw e;
      return void skipped.push(`docker: ${e.message}`);
    }
    const imported = d(['import', rootfsTar(ws, imageRootfs(ws)), image]);
    if (imported.code !== 0) throw new Error(`docker import: ${imported.stderr}`);
    measure('docker run --rm --network none … true', (r, isCounted) =>
      timed(client, ['-H', host, 'run', '--rm', '--network', 'none', '--runtime', isCounted ? `${r}-counted` : r, image, 'true']),
    );
  } finally {
    if (started) {
      const left = d(['ps', '-aq']).stdout.split('\n').filter(Boolean);
      if (left.length) d(['rm', '-f', ...left]);
      d(['rmi', image]);
    }
    const problems = await ws.cleanup();
    if (problems.length) throw new Error(`docker left things behind: ${problems.join('; ')}`);
  }
}

try {
  await podman();
  await containerd();
  await docker();
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}

const fmt = (x: number, w = 7) => x.toFixed(1).padStart(w);
const load = os.loadavg().map((x) => x.toFixed(1)).join(' ');
console.log(`tsrun in engines: ${iterations} iterations, medians in ms; ${os.cpus().length} CPUs, load average ${load}, node ${process.version}`);
console.log('');
console.log('| engine, command | N runs of the runtime (tsrun / runc) | tsrun | runc | floor | tsrun − runc | goal: N × floor + 30 | ≤ goal |');
console.log('|---|---|---:|---:|---:|---:|---:|---|');
for (const r of rows) {
  const n = r.n.tsrun.length;
  const goal = n * r.floor + 30;
  const extra = r.ms.tsrun - r.ms.runc;
  console.log(
    `| ${r.engine} | ${n} (${r.n.tsrun.join(', ')}) / ${r.n.runc.length} | ${fmt(r.ms.tsrun)} | ${fmt(r.ms.runc)} | ${fmt(r.floor)} | ${fmt(extra)} | ${fmt(goal)} | ${extra <= goal ? 'pass' : 'FAIL'} |`,
  );
}
for (const s of skipped) console.log(`skipped ${s}`);
