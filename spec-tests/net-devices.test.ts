// linux.netDevices, config-linux.md "Network Devices": each named host device
// is moved into the container's network namespace, renamed as asked (a %d
// pattern too), up, with its permanent global addresses kept. A virtual one
// (one end of the veth pair each test makes: this kernel has no dummy
// driver) is destroyed with the namespace, its peer with it: the runtime
// never moves it back. runc 1.1.5 has no netDevices, so the kernel's
// view (ip inside and outside) is the reference.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { makeBundle, Runtime, skipUnlessRoot, sleep } from '../test/integration/harness.js';

const hasIp = spawnSync('ip', ['-V']).status === 0;
let seq = 0;
/** A veth pair on the host; the end returned has an IPv4 and an IPv6 address (permanent, global). */
function makeVeth(): string {
  const name = `tsnd${process.pid % 10000}-${seq++}`;
  const ip = (...args: string[]) => {
    const r = spawnSync('ip', args, { encoding: 'utf8' });
    assert.equal(r.status, 0, `ip ${args.join(' ')}: ${r.stderr}`);
  };
  ip('link', 'add', name, 'type', 'veth', 'peer', 'name', `${name}p`);
  ip('addr', 'add', '10.231.45.6/24', 'dev', name);
  ip('-6', 'addr', 'add', 'fd00:231::6/64', 'dev', name, 'nodad');
  return name;
}
const onHost = (name: string) => fs.existsSync(`/sys/class/net/${name}`);
async function gone(name: string): Promise<boolean> {
  for (let i = 0; i < 100 && onHost(name); i++) await sleep(50);
  return !onHost(name);
}

describe('config-linux.md "Network Devices": linux.netDevices', { skip: skipUnlessRoot || (!hasIp && 'needs iproute2 (ip) to make a veth pair') }, () => {
  let rt: Runtime;
  const made: string[] = [];
  before(() => {
    rt = new Runtime();
  });
  after(() => {
    rt.cleanup();
    for (const d of made) if (onHost(d)) spawnSync('ip', ['link', 'del', d]);
    for (const d of made) assert.equal(onHost(d) || onHost(`${d}p`), false, `${d} or its peer was left on the host`);
  });
  const dummy = () => {
    const d = makeVeth();
    made.push(d);
    return d;
  };
  const run = (args: string[], netDevices: unknown, patch?: (c: any) => void) =>
    rt.run(['run', '-b', makeBundle(args, (c) => { c.linux.netDevices = netDevices; patch?.(c); }), `nd-${process.pid}-${seq++}`]);

  test('moved in, renamed, up, with its IPv4 and IPv6 addresses; gone from the host, and destroyed with the namespace', async () => {
    const d = dummy();
    const r = run(['sh', '-c', 'ip -o link show ctr0; ip -o addr show dev ctr0'], { [d]: { name: 'ctr0' } });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /ctr0(@\S+)?: <[^>]*\bUP\b[^>]*>/);
    assert.match(r.stdout, /inet 10\.231\.45\.6\/24 /);
    assert.match(r.stdout, /inet6 fd00:231::6\/64 /);
    assert.equal(await gone(d), true, 'a virtual device dies with the container\'s namespace, never moved back');
    assert.equal(await gone(`${d}p`), true, 'and its veth peer with it');
  });

  test('no name: it keeps the host\'s; a %d pattern is filled in by the kernel', async () => {
    const [a, b] = [dummy(), dummy()];
    const r = run(['sh', '-c', "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort"], { [a]: {}, [b]: { name: 'eth%d' } });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), [a, 'eth0', 'lo'].sort());
    assert.equal(await gone(a), true);
    assert.equal(await gone(b), true);
  });

  test('without a new network namespace: refused by path, the device stays on the host', () => {
    const d = dummy();
    const r = run(['true'], { [d]: {} }, (c) => { c.linux.namespaces = c.linux.namespaces.filter((n: any) => n.type !== 'network'); });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /\/linux\/netDevices: moving network devices needs a new network namespace/);
    assert.equal(onHost(d), true);
    assert.deepEqual(rt.ids(), []);
  });

  test('a device the host does not have, and a bad name: explained, nothing left', () => {
    const r = run(['true'], { 'tsrun-nodev0': {} });
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /\/linux\/netDevices\/tsrun-nodev0: .*there is no network device tsrun-nodev0 on the host/);
    const d = dummy();
    const bad = run(['true'], { [d]: { name: 'a/b' } });
    assert.match(bad.stderr, /\/linux\/netDevices\/[^:]+\/name: \\"a\/b\\" is not a network device name/);
    assert.equal(onHost(d), true);
    assert.deepEqual(rt.ids(), []);
  });
});
