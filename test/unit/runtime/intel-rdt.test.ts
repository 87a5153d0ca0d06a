// linux.intelRdt's refusal names what this host lacks: the CPU's RDT, the
// kernel's resctrl filesystem, the resctrl mount; or, with all of them, tsrun.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { intelRdtRefusal, parseRdtFacts } from '../../../src/runtime/intel-rdt.js';
import { refuseUnsupported } from '../../../src/runtime/support.js';
import type { Config } from '../../../src/spec/types.js';

const cpu = (flags: string) => `processor\t: 0\nflags\t\t: fpu vme ${flags}\n`;
const FS = 'nodev\tsysfs\nnodev\tcgroup2\nnodev\tresctrl\n';
const MOUNTED = '30 25 0:27 / /sys/fs/resctrl rw,relatime shared:9 - resctrl resctrl rw\n';

test('intelRdt: a CPU without RDT flags is named as the reason', () => {
  const f = parseRdtFacts(cpu('sse sse2'), FS, MOUNTED);
  assert.deepEqual(f.cpuFlags, []);
  assert.match(intelRdtRefusal(f), /^this CPU lacks Resource Director Technology \(no rdt_a or cqm_llc flag in \/proc\/cpuinfo\)/);
});

test('intelRdt: RDT CPU, kernel without resctrl', () => {
  const m = intelRdtRefusal(parseRdtFacts(cpu('rdt_a cat_l3 mba'), 'nodev\tsysfs\n', ''));
  assert.match(m, /this CPU has RDT \(rdt_a cat_l3 mba\), but the kernel has no resctrl filesystem/);
});

test('intelRdt: RDT CPU and kernel, resctrl not mounted: says so and how to mount it', () => {
  const m = intelRdtRefusal(parseRdtFacts(cpu('cqm_llc cqm_occup_llc'), FS, '22 1 0:5 / /proc rw - proc proc rw\n'));
  assert.match(m, /^resctrl is not mounted at \/sys\/fs\/resctrl \(mount -t resctrl resctrl \/sys\/fs\/resctrl; the CPU has cqm_llc cqm_occup_llc\)/);
  assert.match(m, /tsrun does not make resctrl groups/);
});

test('intelRdt: everything there: the gap is tsrun\'s', () => {
  const f = parseRdtFacts(cpu('rdt_a cat_l3'), FS, MOUNTED);
  assert.equal(f.mount, '/sys/fs/resctrl');
  assert.match(intelRdtRefusal(f), /^resctrl is mounted at \/sys\/fs\/resctrl and the CPU has RDT \(rdt_a cat_l3\), but tsrun does not make resctrl groups/);
});

test('intelRdt: create refuses it at /linux/intelRdt with the reason; the host is read only when the field is there', () => {
  let reads = 0;
  const host = { rdt: () => (reads++, parseRdtFacts(cpu('sse'), FS, '')) };
  assert.doesNotThrow(() => refuseUnsupported({ ociVersion: '1.2.0', linux: {} } as Config, host));
  assert.equal(reads, 0);
  assert.throws(() => refuseUnsupported({ ociVersion: '1.2.0', linux: { intelRdt: { closID: 'g' } } } as Config, host),
    /^Error: config\.json: \/linux\/intelRdt: this CPU lacks Resource Director Technology .*; remove it to run this container$/);
  assert.equal(reads, 1);
});
