// Many networked containers at once, tsrun beside runc: N containers (default
// 50) from the same two image layers (bundles/layers, an overlay root each)
// attached to tsrun0 by the same cni-hook, created WIDTH at a time (default
// 4), started, each pinged by the host and by a neighbour, then deleted.
// Prints the wall time of each phase for both (one run each: the machines
// are noisy, compare the two, not the numbers with other days). Needs root,
// the CNI plugins and runc; puts ip_forward, route_localnet and tsrun0 back.
//   node dist/bench/many-net.js [N] [WIDTH]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hasRunc, tsrunBin } from '../test/integration/harness.js';
import {
  assertNetLeftNothing,
  bridgePorts,
  cniSkipReason,
  hostNetState,
  iptablesRules,
  manyNetworked,
  type ManyResult,
} from '../test/integration/net-harness.js';
import { cgroupsNamed } from '../test/integration/fuzz-leaks.js';

const n = Number(process.argv[2] ?? 50);
const width = Number(process.argv[3] ?? 4);
// It adds ~45 ms to every node start here (tsrun is node), as in bench/timing.ts.
delete process.env.NODE_EXTRA_CA_CERTS;

const skip = cniSkipReason() || (hasRunc ? false : 'runc is not installed');
if (skip) {
  console.error(`many-net: ${skip}`);
  process.exit(1);
}

const host = hostNetState();
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-bench-many-'));
const results: Record<string, ManyResult['ms']> = {};
try {
  for (const [name, bin] of [['tsrun', tsrunBin], ['runc', 'runc']] as const) {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-bench-many-root-`));
    const portsBefore = bridgePorts();
    const rulesBefore = iptablesRules();
    try {
      const res = await manyNetworked({ bin, root, n, width, work, prefix: `bench-${name}` });
      assertNetLeftNothing({ stateDir: path.join(work, 'net-state'), ids: res.ids, portsBefore, rulesBefore, veths: res.veths, ips: res.ips });
      if (cgroupsNamed(res.ids).length) throw new Error(`${name} left cgroups: ${cgroupsNamed(res.ids).join(' ')}`);
      results[name] = res.ms;
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  }
} finally {
  host.restore();
  fs.rmSync(work, { recursive: true, force: true });
}

console.log(`${n} networked containers on overlay layers, ${width} at a time; wall time in ms`);
console.log('phase        tsrun      runc   tsrun/runc');
for (const phase of ['create', 'start', 'ping', 'delete', 'total'] as const) {
  const t = results.tsrun[phase];
  const r = results.runc[phase];
  console.log(`${phase.padEnd(8)} ${t.toFixed(0).padStart(9)} ${r.toFixed(0).padStart(9)} ${(t / r).toFixed(2).padStart(12)}`);
}
console.log(`(bundles made beforehand: tsrun ${results.tsrun.prepare} ms, runc ${results.runc.prepare} ms; not in total)`);
