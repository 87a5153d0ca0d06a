// What a container's cgroup costs create (the budget is 3 ms): finding the
// hierarchies, making the cgroup, applying linux.resources (device rules
// always) and moving a process in, as create's placeInCgroup does; and what
// delete's removal costs. Real cgroups on this host, as root. On a hybrid
// host that is ten directories to make and join; the p90 is mostly the
// kernel's RCU grace period when a task first migrates between cgroups.
//   node dist/bench/cgroups.js [iterations]
import { spawn } from 'node:child_process';
import type { Config, Resources } from '../src/spec/types.js';
import { openCgroup, planCgroupRecord, setUpCgroup, hostApplyFacts } from '../src/cgroups/index.js';
import { hostLayout, parseLayout } from '../src/cgroups/hierarchy.js';
import fs from 'node:fs';

if (process.getuid?.() !== 0) {
  console.error('bench/cgroups: needs root (it makes real cgroups)');
  process.exit(1);
}
const iterations = Number(process.argv[2] ?? 50);

const TYPICAL: Resources = {
  devices: [{ allow: false, access: 'rwm' }],
  memory: { limit: 256 << 20, reservation: 128 << 20 },
  cpu: { shares: 512, quota: 50000, period: 100000 },
  pids: { limit: 100 },
};

const ms = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

// A stand-in for tsrun-init's stage 0: a process to move in.
const sleeper = spawn('sleep', ['3600'], { stdio: 'ignore' });
const facts = hostApplyFacts();
const results: Record<string, { setup: number[]; destroy: number[] }> = {};
// A cgroup kept in /tsrun, as another container would keep it: then /tsrun is not made and removed each time.
const keeper = openCgroup(planCgroupRecord({ ociVersion: '1.3.0' } as Config, `bench-keeper-${process.pid}`));
try {
  const scenarios = [
    ['first container', undefined, false],
    ['no resources', undefined, true],
    ['typical resources', TYPICAL, true],
  ] as const;
  for (const [name, resources, keep] of scenarios) {
    if (keep) keeper.create();
    const r = (results[name] = { setup: [] as number[], destroy: [] as number[] });
    for (let i = 0; i < iterations; i++) {
      const config = { ociVersion: '1.3.0', linux: { resources } } as Config;
      let t = process.hrtime.bigint();
      // The layout is read once per command: include that read.
      const layout = parseLayout(fs.readFileSync('/proc/self/mountinfo', 'utf8'));
      const cg = openCgroup(planCgroupRecord(config, `bench-${process.pid}-${i}`, { layout }));
      setUpCgroup(cg, resources, sleeper.pid!, { facts });
      r.setup.push(ms(t));
      // Out again, so the cgroup can go (delete would have killed it).
      fs.writeFileSync(`${hostLayout().unified ?? hostLayout().v1[0].mount}/cgroup.procs`, String(sleeper.pid));
      for (const h of cg.record.v1) fs.writeFileSync(`${h.mount}/cgroup.procs`, String(sleeper.pid));
      t = process.hrtime.bigint();
      cg.destroy();
      r.destroy.push(ms(t));
    }
  }
} finally {
  sleeper.kill('SIGKILL');
  keeper.destroy();
}

console.log(`cgroup mode: ${hostLayout().mode}, ${hostLayout().v1.length} v1 hierarchies${hostLayout().unified ? ' + unified' : ''}; iterations: ${iterations}`);
console.log('"first container" also makes (and removes) /tsrun in every hierarchy; the others find it there.');
console.log('scenario             setup median   p90     destroy median   p90   (ms; budget for setup: 3)');
for (const [name, r] of Object.entries(results)) {
  console.log(
    `${name.padEnd(20)} ${pct(r.setup, 50).toFixed(2).padStart(12)} ${pct(r.setup, 90).toFixed(2).padStart(6)} ${pct(r.destroy, 50).toFixed(2).padStart(16)} ${pct(r.destroy, 90).toFixed(2).padStart(6)}`,
  );
}
