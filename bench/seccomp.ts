// Benchmarks `run` of a trivial container with a ~300-rule seccomp allowlist
// (one rule per syscall, default EPERM) against runc in the same run, and the
// same container without seccomp, so the cost of compiling and loading the
// filter shows on its own. Only ratios mean anything on these noisy machines.
// NODE_EXTRA_CA_CERTS is removed: it adds ~45 ms to every node start here.
//   node dist/bench/seccomp.js [iterations]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { baseConfig, repoRoot } from '../test/integration/harness.js';
import { commandTimer, median } from './timing.js';

const iterations = Number(process.argv[2] ?? 20);

/** Syscall names and numbers from the build host's headers (x86_64, else the generic table). */
function hostSyscalls(): [string, number][] {
  const headers = ['/usr/include/x86_64-linux-gnu/asm/unistd_64.h', '/usr/include/asm-generic/unistd.h'];
  const header = headers.find((h) => fs.existsSync(h));
  if (!header) throw new Error(`no syscall table header found (${headers.join(', ')}): install linux-libc-dev`);
  const text = fs.readFileSync(header, 'utf8');
  return [...text.matchAll(/^#define __NR(?:3264)?_(\w+) (\d+)$/gm)].map((m) => [m[1], Number(m[2])] as [string, number]);
}

// Every syscall up to rseq (334 on x86_64): what busybox, glibc and both
// runtimes' inits use, each as its own rule. Newer ones get ENOSYS.
const names = [...new Set(hostSyscalls().filter(([, nr]) => nr <= 334).map(([n]) => n))];
const seccomp = {
  defaultAction: 'SCMP_ACT_ERRNO',
  architectures: process.arch === 'x64' ? ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'] : undefined,
  syscalls: names.map((n) => ({ names: [n], action: 'SCMP_ACT_ALLOW' })),
};

const tsrun = path.join(repoRoot, 'bin', 'tsrun');
const bundles = {
  seccomp: fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-bench-seccomp-')),
  plain: fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-bench-plain-')),
};
const withSeccomp = baseConfig(['true']);
withSeccomp.linux.seccomp = seccomp;
fs.writeFileSync(path.join(bundles.seccomp, 'config.json'), JSON.stringify(withSeccomp));
fs.writeFileSync(path.join(bundles.plain, 'config.json'), JSON.stringify(baseConfig(['true'])));
const roots = { tsrun: fs.mkdtempSync('/tmp/tsrun-bench-root-'), runc: fs.mkdtempSync('/tmp/runc-bench-root-') };

const time = commandTimer(path.join(bundles.plain, 'stderr'));

type Runtime = 'tsrun' | 'runc';
const bin = (rt: Runtime) => (rt === 'tsrun' ? tsrun : 'runc');
const samples: Record<keyof typeof bundles, Record<Runtime, number[]>> = {
  seccomp: { tsrun: [], runc: [] },
  plain: { tsrun: [], runc: [] },
};
for (let i = 0; i < iterations; i++) {
  // Interleaved, so drift in the machine's load hits both alike.
  for (const kind of ['seccomp', 'plain'] as const) {
    for (const rt of ['tsrun', 'runc'] as Runtime[]) {
      samples[kind][rt].push(time(bin(rt), ['--root', roots[rt], 'run', '--bundle', bundles[kind], `${kind}${i}`]));
    }
  }
}

console.log(`iterations: ${iterations}, ${seccomp.syscalls.length} seccomp rules, medians in ms`);
console.log('scenario              tsrun     runc   tsrun/runc');
const m = (k: keyof typeof bundles, rt: Runtime) => median(samples[k][rt]);
for (const kind of ['seccomp', 'plain'] as const) {
  const label = kind === 'seccomp' ? 'run with seccomp' : 'run without';
  console.log(`${label.padEnd(20)} ${m(kind, 'tsrun').toFixed(1).padStart(6)} ${m(kind, 'runc').toFixed(1).padStart(8)} ${(m(kind, 'tsrun') / m(kind, 'runc')).toFixed(2).padStart(12)}`);
}
const cost = (rt: Runtime) => m('seccomp', rt) - m('plain', rt);
console.log(`seccomp's own cost: tsrun ${cost('tsrun').toFixed(1)} ms, runc ${cost('runc').toFixed(1)} ms`);

for (const d of [...Object.values(bundles), ...Object.values(roots)]) fs.rmSync(d, { recursive: true, force: true });
