// The systemd cgroup driver (--systemd-cgroup), runtime-spec config-linux.md
// "Control groups" (cgroupsPath: "slice:prefix:name" is runc's systemd
// form) and "Resources", with systemd as PID 1 on pure cgroup v2: the scope
// and its properties as systemd reports them, side by side with
// `runc --systemd-cgroup`; update, pause/resume, delete; the private-socket
// fallback; a kill -9 of tsrun midway; and containerd's runc shim driving
// tsrun with SystemdCgroup. It runs only where systemd is init on cgroup v2:
// in the test VM's systemd mode (systemd-cgroup-vm.test.ts boots it).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { hostLayout } from '../src/cgroups/hierarchy.js';
import { systemdDriverProblem } from '../src/cgroups/systemd.js';
import { makeBundle, processLives, runToFiles, sideBySide, skipUnlessRoot, sleep, tsrunBin, uniqueId, type ConfigPatch } from '../test/integration/harness.js';

const problem = (() => {
  try {
    return systemdDriverProblem(hostLayout());
  } catch (e) {
    return (e as Error).message;
  }
})();
const skip = skipUnlessRoot || (problem ? `needs systemd as init on cgroup v2 (systemd-cgroup-vm.test.ts runs it in the test VM): ${problem}` : false);
// Each command takes seconds under the VM's emulated CPU.
const T = 120_000;

/** `systemctl show` of unit: the properties asked for, as name=value. */
function show(unit: string, names: string[]): Record<string, string> {
  const r = spawnSync('systemctl', ['show', unit, ...names.map((n) => `--property=${n}`)], { encoding: 'utf8' });
  assert.equal(r.status, 0, `systemctl show ${unit}: ${r.stderr}`);
  return Object.fromEntries(r.stdout.trim().split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/** The units systemd has loaded (any state) whose names match. */
function unitsLike(pattern: RegExp): string[] {
  const r = spawnSync('systemctl', ['list-units', '--all', '--no-legend', '--plain'], { encoding: 'utf8' });
  return r.stdout.split('\n').map((l) => l.trim().split(/\s+/)[0]).filter((u) => u && pattern.test(u));
}

const failedUnits = () => spawnSync('systemctl', ['list-units', '--failed', '--no-legend', '--plain'], { encoding: 'utf8' }).stdout.trim();

const RESOURCES = {
  memory: { limit: 64 << 20, reservation: 32 << 20, swap: 96 << 20 },
  cpu: { quota: 50000, period: 100000, cpus: '0', mems: '0' },
  pids: { limit: 20 },
  devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 200, access: 'rw' }],
};
const PROPS = ['Delegate', 'MemoryMax', 'MemoryLow', 'MemorySwapMax', 'TasksMax', 'CPUQuotaPerSecUSec', 'CPUQuotaPeriodUSec', 'AllowedCPUs', 'AllowedMemoryNodes',
  'MemoryAccounting', 'CPUAccounting', 'IOAccounting', 'TasksAccounting', 'DevicePolicy', 'Slice', 'TimeoutStopUSec'];

describe('config-linux.md "Control groups": the systemd cgroup driver (--systemd-cgroup)', { skip }, () => {
  const sbs = sideBySide();
  const { rt, runc } = sbs;
  const used: string[] = [];
  const id = (p: string) => {
    const i = uniqueId(`sd-${p}`);
    used.push(i);
    return i;
  };
  const tsrun = (args: string[]) => rt.run(['--systemd-cgroup', ...args], { timeout: T });

  after(() => {
    // Only this file's scopes (their ids are sd-<what>-<pid>-<n>): the VM's own units run this test.
    const ours = /-sd-[a-z]+-\d+-\d+\.scope$/;
    for (const u of unitsLike(ours)) spawnSync('systemctl', ['stop', u]);
    sbs.cleanup();
    // Nothing of ours is left in systemd: no unit, loaded or failed.
    assert.deepEqual(unitsLike(ours), [], 'units left in systemd');
    assert.doesNotMatch(failedUnits(), /-sd-[a-z]+-\d+-\d+\.scope/, 'failed units left in systemd');
  });

  const withResources: ConfigPatch = (c) => {
    c.linux.resources = RESOURCES;
    c.annotations = { 'org.systemd.property.TimeoutStopSec': 'uint64 17' };
  };

  test('a container\'s cgroup is the transient scope <prefix>-<name>.scope in the slice, with runc\'s properties (side by side with runc)', { timeout: 4 * T }, () => {
    const tid = id('props');
    const bundle = makeBundle(['sleep', '600'], (c) => {
      withResources(c);
      c.linux.cgroupsPath = `system.slice:sdt:${tid}`;
    });
    const r = tsrun(['run', '-d', '--bundle', bundle, tid]);
    assert.equal(r.code, 0, r.stderr);
    const unit = `sdt-${tid}.scope`;
    const pid = Number(rt.state(tid).pid);
    // The container's init is in the scope's cgroup, systemd's and ours alike.
    assert.equal(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').trim(), `0::/system.slice/${unit}`);
    assert.deepEqual(show(unit, ['ControlGroup', 'ActiveState']), { ControlGroup: `/system.slice/${unit}`, ActiveState: 'active' });
    const ours = show(unit, PROPS);
    assert.deepEqual(
      { ...ours },
      {
        Delegate: 'yes', MemoryMax: String(64 << 20), MemoryLow: String(32 << 20), MemorySwapMax: String(32 << 20), TasksMax: '20',
        CPUQuotaPerSecUSec: '500ms', CPUQuotaPeriodUSec: '100ms', AllowedCPUs: '0', AllowedMemoryNodes: '0',
        MemoryAccounting: 'yes', CPUAccounting: 'yes', IOAccounting: 'yes', TasksAccounting: 'yes', DevicePolicy: 'strict', Slice: 'system.slice',
        TimeoutStopUSec: '17s',
      },
    );
    // And in the cgroup files (what runc writes to cgroupfs besides).
    const dir = `/sys/fs/cgroup/system.slice/${unit}`;
    assert.equal(fs.readFileSync(`${dir}/memory.max`, 'utf8').trim(), String(64 << 20));
    assert.equal(fs.readFileSync(`${dir}/pids.max`, 'utf8').trim(), '20');
    assert.equal(fs.readFileSync(`${dir}/cpu.max`, 'utf8').trim(), '50000 100000');

    if (runc) {
      const rid = id('runc');
      const rb = makeBundle(['sleep', '600'], (c) => {
        withResources(c);
        c.linux.cgroupsPath = `system.slice:sdt:${rid}`;
      });
      const rr = runc.run(['--systemd-cgroup', 'run', '-d', '--bundle', rb, rid], { timeout: T });
      assert.equal(rr.code, 0, rr.stderr);
      const theirs = show(`sdt-${rid}.scope`, PROPS);
      assert.deepEqual(ours, theirs, 'the same unit properties as runc --systemd-cgroup');
      assert.equal(runc.run(['delete', '-f', rid], { timeout: T }).code, 0);
    }

    // update: the unit's properties and the files.
    const u = tsrun(['update', '--memory', String(48 << 20), '--memory-swap', String(80 << 20), '--pids-limit', '30', tid]);
    assert.equal(u.code, 0, u.stderr);
    assert.deepEqual(show(unit, ['MemoryMax', 'MemorySwapMax', 'TasksMax']), { MemoryMax: String(48 << 20), MemorySwapMax: String(32 << 20), TasksMax: '30' });
    assert.equal(fs.readFileSync(`${dir}/memory.max`, 'utf8').trim(), String(48 << 20));

    // pause / resume freeze the scope's cgroup.
    assert.equal(tsrun(['pause', tid]).code, 0);
    assert.equal(rt.state(tid).status, 'paused');
    assert.equal(fs.readFileSync(`${dir}/cgroup.freeze`, 'utf8').trim(), '1');
    assert.equal(tsrun(['resume', tid]).code, 0);
    assert.equal(rt.state(tid).status, 'running');
    assert.deepEqual(JSON.parse(tsrun(['ps', '--format', 'json', tid]).stdout), [pid]);

    // delete stops the scope: systemd no longer has it, and it is not failed.
    const d = tsrun(['delete', '-f', tid]);
    assert.equal(d.code, 0, d.stderr);
    assert.deepEqual(unitsLike(new RegExp(`^${unit.replace(/\./g, '\\.')}$`)), []);
    assert.ok(!fs.existsSync(dir), `${dir} is gone`);
    assert.ok(!processLives(pid));
  });

  test('an empty cgroupsPath means system.slice:tsrun:<id>; a container that exits leaves no unit', { timeout: 2 * T }, () => {
    const tid = id('default');
    const r = tsrun(['run', '--bundle', makeBundle(['sh', '-c', 'cat /proc/self/cgroup']), tid]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `0::/system.slice/tsrun-${tid}.scope`);
    assert.deepEqual(unitsLike(new RegExp(`^tsrun-${tid}\\.scope$`)), []);
  });

  test('without a system bus, root reaches systemd over /run/systemd/private (as runc)', { timeout: 2 * T }, () => {
    const tid = id('private');
    const env = { ...process.env, DBUS_SYSTEM_BUS_ADDRESS: 'unix:path=/nonexistent/bus' };
    const run = (args: string[]) => runToFiles(tsrunBin, ['--root', rt.root, '--systemd-cgroup', ...args], rt.root, { env, timeout: T }).result;
    const r = run(['run', '-d', '--bundle', makeBundle(['sleep', '600']), tid]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(show(`tsrun-${tid}.scope`, ['ActiveState']).ActiveState, 'active');
    assert.equal(run(['delete', '-f', tid]).code, 0);
    assert.deepEqual(unitsLike(new RegExp(`^tsrun-${tid}\\.scope$`)), []);
  });

  test('a bad cgroupsPath is refused by name before anything starts', { timeout: T }, () => {
    const tid = id('bad');
    const r = tsrun(['create', '--bundle', makeBundle(['true'], (c) => (c.linux.cgroupsPath = '/machine/c1')), tid]);
    assert.equal(r.code, 1);
    // (logrus' text format escapes the quotes.)
    assert.match(r.stderr.replace(/\\"/g, '"'), /config.json: \/linux\/cgroupsPath: "\/machine\/c1" is not a systemd path: with --systemd-cgroup it must be "slice:prefix:name"/);
    assert.deepEqual(rt.ids(), []);
  });

  test('kill -9 of tsrun while its scope is up: delete -f leaves nothing in systemd', { timeout: 3 * T }, async () => {
    const tid = id('killed');
    const unit = `tsrun-${tid}.scope`;
    // The createRuntime hook holds create once the scope is up.
    const hookPid = path.join(rt.root, `${tid}.hook-pid`);
    const bundle = makeBundle(['sleep', '600'], (c) => (c.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', `echo $$ >${hookPid}; exec sleep 600`] }] }));
    const child = spawn(tsrunBin, ['--root', rt.root, '--systemd-cgroup', 'create', '--bundle', bundle, tid], { stdio: 'ignore' });
    const end = Date.now() + T;
    while (!fs.existsSync(hookPid)) {
      assert.ok(Date.now() < end, 'the createRuntime hook never ran');
      await sleep(200);
    }
    assert.equal(show(unit, ['ActiveState']).ActiveState, 'active');
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    // The hook (tsrun's child, not the container's) outlives it; it is no one's now.
    process.kill(Number(fs.readFileSync(hookPid, 'utf8')), 'SIGKILL');
    fs.rmSync(hookPid);
    const d = tsrun(['delete', '-f', tid]);
    assert.equal(d.code, 0, d.stderr);
    for (let i = 0; i < 50 && unitsLike(new RegExp(`^${unit.replace(/\./g, '\\.')}$`)).length; i++) await sleep(200);
    assert.deepEqual(unitsLike(new RegExp(`^${unit.replace(/\./g, '\\.')}$`)), [], 'the scope is gone');
    assert.doesNotMatch(failedUnits(), new RegExp(tid));
    assert.deepEqual(rt.ids(), []);
  });

  test('containerd: ctr run --runc-binary tsrun --runc-systemd-cgroup runs a container in its scope (side by side with runc)', {
    timeout: 5 * T,
    skip: containerdMissing(),
  }, async () => {
    const rootfs = path.join(makeBundle(['true']), 'rootfs');
    fs.cpSync(JSON.parse(fs.readFileSync(path.join(path.dirname(rootfs), 'config.json'), 'utf8')).root.path, rootfs, { recursive: true, verbatimSymlinks: true });
    await withContainerd(async (ctr, scratch) => {
      const runIn = async (bin: string, cid: string) => {
        // ctr's spec for --rootfs has no process.env (it takes PATH from an
        // image's config only), and runc and tsrun alike then find no "sh":
        // give it the PATH an image would.
        const r = ctr(['run', '--rm', '--runc-binary', bin, '--runc-root', path.join(scratch, `${path.basename(bin)}-root`), '--runc-systemd-cgroup',
          '--cgroup', `system.slice:ctr:${cid}`, '--env', 'PATH=/usr/sbin:/usr/bin:/sbin:/bin', '--rootfs', rootfs, cid, 'sh', '-c', 'cat /proc/self/cgroup']);
        assert.equal(r.code, 0, `ctr run --runc-binary ${bin}: ${r.stderr}`);
        assert.equal(r.stdout.trim(), `0::/system.slice/ctr-${cid}.scope`, `${bin}: the container's process is in its scope`);
        const unit = new RegExp(`^ctr-${cid}\\.scope$`);
        for (let i = 0; i < 50 && unitsLike(unit).length; i++) await sleep(200);
        assert.deepEqual(unitsLike(unit), [], `${bin}: the scope is gone after --rm`);
        assert.doesNotMatch(failedUnits(), new RegExp(cid), `${bin}: no failed unit`);
        assert.ok(!fs.existsSync(`/sys/fs/cgroup/system.slice/ctr-${cid}.scope`), `${bin}: the scope's cgroup is gone`);
      };
      await runIn(tsrunBin, id('ctr'));
      if (runc) await runIn(runc.bin, id('ctrrunc'));
    });
  });
});

function containerdMissing(): string | false {
  const has = (cmd: string, flag = '--version') => spawnSync(cmd, [flag]).status === 0;
  return has('containerd') && has('ctr') && has('containerd-shim-runc-v2', '-v') ? false : 'containerd, ctr or containerd-shim-runc-v2 is not installed';
}

/** A containerd of the test's own (its root, state and socket in a temp dir), for fn; stopped after. */
async function withContainerd(fn: (ctr: (args: string[]) => { code: number; stdout: string; stderr: string }, scratch: string) => Promise<void>): Promise<void> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-sd-containerd-'));
  const sock = path.join(scratch, 'containerd.sock');
  fs.writeFileSync(path.join(scratch, 'config.toml'), 'version = 2\ndisabled_plugins = ["io.containerd.grpc.v1.cri"]\n');
  const log = fs.openSync(path.join(scratch, 'containerd.log'), 'w');
  const daemon = spawn('containerd', ['--config', path.join(scratch, 'config.toml'), '--root', path.join(scratch, 'root'), '--state', path.join(scratch, 'state'), '--address', sock], {
    stdio: ['ignore', log, log],
  });
  try {
    const end = Date.now() + T;
    while (!fs.existsSync(sock)) {
      assert.ok(Date.now() < end && daemon.exitCode === null, `containerd did not start: ${fs.readFileSync(path.join(scratch, 'containerd.log'), 'utf8').slice(-2000)}`);
      await sleep(200);
    }
    const ctr = (args: string[]) => runToFiles('ctr', ['--address', sock, '--namespace', 'tsrun-test', ...args], scratch, { timeout: T }).result;
    await fn(ctr, scratch);
  } finally {
    daemon.kill('SIGTERM');
    await new Promise((r) => (daemon.exitCode === null ? daemon.on('close', r) : r(undefined)));
    fs.closeSync(log);
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

describe('config-linux.md "Control groups": --systemd-cgroup where the driver cannot run', { skip: skipUnlessRoot || (problem ? false : 'the driver runs here (the suite above checks it)') }, () => {
  test('create fails before anything starts, saying why, and features says systemd: false', () => {
    const sbs = sideBySide();
    try {
      const tid = uniqueId('sd-nodriver');
      const r = sbs.rt.run(['--systemd-cgroup', 'create', '--bundle', makeBundle(['true']), tid]);
      assert.equal(r.code, 1);
      assert.equal(r.stderr.trim().split('\n').at(-1)?.includes(`--systemd-cgroup: ${problem}`), true, r.stderr);
      assert.deepEqual(sbs.rt.ids(), []);
      const f = JSON.parse(sbs.rt.run(['features']).stdout);
      assert.equal(f.linux.cgroup.systemd, false);
    } finally {
      sbs.cleanup();
    }
  });
});
