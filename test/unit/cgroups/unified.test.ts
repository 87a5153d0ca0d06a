// Unit tests for linux.resources.unified (src/cgroups/common-writes.ts): a
// key must be a resource file of the container's own cgroup, of a controller
// enabled for it. Anything else (cgroup.procs pulls any host process in) is
// refused by name, on v2 and on a hybrid host's unified cgroup, before any
// write. The cgroup is a fake view.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkUnifiedKeys, planUnified } from '../../../src/cgroups/common-writes.js';
import { CgroupError } from '../../../src/cgroups/errors.js';
import { planV1 } from '../../../src/cgroups/v1-writes.js';
import { planV2 } from '../../../src/cgroups/v2-writes.js';
import type { CgroupView, PlanContext } from '../../../src/cgroups/writes.js';

// Every file a v2 cgroup with memory and pids enabled has (the core files too).
const FILES = [
  'cgroup.procs', 'cgroup.threads', 'cgroup.subtree_control', 'cgroup.kill', 'cgroup.freeze', 'cgroup.type', 'cgroup.controllers',
  'cgroup.events', 'cgroup.stat', 'cgroup.pressure', 'cgroup.max.depth', 'cgroup.max.descendants',
  'memory.max', 'memory.high', 'pids.max', 'cpu.pressure', 'io.pressure',
];
const view: CgroupView = { hasController: (c) => ['memory', 'pids'].includes(c), has: (_c, f) => FILES.includes(f), read: () => undefined };
const ctx: PlanContext = { view, update: false, kernel: [6, 18], hugepageSizes: ['2MB'] };

function refused(fn: () => unknown, key: string, reason: RegExp): void {
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof CgroupError, `${key}: ${e.constructor.name}: ${e.message}`);
    assert.equal(e.field, `/unified/${key}`);
    assert.ok(e.message.startsWith(`config.json: /linux/resources/unified/${key}: `), e.message);
    assert.match(e.message, reason);
    return true;
  }, `${key} must be refused`);
}

test('config-linux.md "Unified": cgroup.procs and cgroup.threads are refused: they would pull any process into the container', () => {
  for (const key of ['cgroup.procs', 'cgroup.threads']) {
    refused(() => checkUnifiedKeys({ [key]: '1' }), key, /moves processes into the cgroup, and any process could be pulled in/);
    refused(() => planV2({ unified: { [key]: '4242' } }, ctx, true), key, /cannot be set/);
  }
});

test('config-linux.md "Unified": the other core files that are no limit are refused, saying so', () => {
  for (const key of ['cgroup.subtree_control', 'cgroup.kill', 'cgroup.freeze', 'cgroup.type', 'cgroup.pressure', 'cgroup.events', 'cgroup.stat', 'cgroup.controllers', 'cgroup.nosuch']) {
    refused(() => checkUnifiedKeys({ [key]: '1' }), key, /cannot be set: it is not a resource limit of the container's cgroup; of the cgroup\.\* files only cgroup\.max\.descendants and cgroup\.max\.depth can/);
  }
});

test('config-linux.md "Unified": a key naming a path ("/", "..") or no controller.name file is refused', () => {
  for (const key of ['../cgroup.procs', '../../memory.max', 'memory..max', '..', 'x/memory.max', '/memory.max', 'memory.max/']) {
    refused(() => checkUnifiedKeys({ [key]: '1' }), key, /is not a file of the container's cgroup: a key names one file in it, without "\/" or "\.\."/);
  }
  for (const key of ['nodot', '.max', 'memory.', '']) refused(() => checkUnifiedKeys({ [key]: '1' }), key, /is not a cgroup v2 file name/);
});

test('config-linux.md "Unified": a controller not enabled for the container\'s cgroup is refused, even where its file exists', () => {
  refused(() => planUnified({ 'cpu.pressure': 'some 1000 1000000' }, view), 'cpu.pressure', /the cpu controller is not available to the container's cgroup/);
  refused(() => planUnified({ 'io.pressure': '1' }, view), 'io.pressure', /io controller is not available/);
});

test('config-linux.md "Unified": resource files of enabled controllers, and the two core limits, are written as given', () => {
  const unified = { 'memory.high': '1000000', 'pids.max': '7', 'cgroup.max.depth': '2', 'cgroup.max.descendants': '9' };
  checkUnifiedKeys(unified);
  assert.deepEqual(planUnified(unified, view).map((w) => `${w.controller}:${w.file}=${w.value}`), [
    'memory:memory.high=1000000', 'pids:pids.max=7', 'cgroup:cgroup.max.depth=2', 'cgroup:cgroup.max.descendants=9',
  ]);
});

test('config-linux.md "Unified" on a hybrid host: the same refusals for the container\'s unified cgroup, whose controllers are its own', () => {
  const hybrid: CgroupView = {
    hasController: () => true,
    has: () => false,
    read: () => undefined,
    unified: { has: (f) => FILES.includes(f), controllers: new Set<string>() },
  };
  const h: PlanContext = { ...ctx, view: hybrid };
  refused(() => planV1({ unified: { 'cgroup.procs': '1' } }, h, true), 'cgroup.procs', /any process could be pulled in/);
  refused(() => planV1({ unified: { 'cgroup.kill': '1' } }, h, true), 'cgroup.kill', /not a resource limit/);
  refused(() => planV1({ unified: { 'memory.max': '1' } }, h, true), 'memory.max', /memory controller is not available/);
  const ops = planV1({ unified: { 'cgroup.max.depth': '3' } }, h, true).filter((o) => o.kind === 'write' && o.unified);
  assert.deepEqual(ops.map((o) => o.kind === 'write' && `${o.file}=${o.value}`), ['cgroup.max.depth=3']);
});
