// bundles/net: a createRuntime hook (cni-hook) attaches the container's
// network namespace to the tsrun0 bridge through Debian's CNI plugins
// (bridge + host-local, portmap, firewall); poststop detaches it. All traffic
// stays between the host, its containers and a namespace made here.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Runtime, sleep, uniqueId } from './harness.js';
import { cgroupsNamed } from './fuzz-leaks.js';
import {
  assertNetLeftNothing,
  attachment,
  bridge,
  bridgePorts,
  cniSkipReason,
  defaultConflist,
  hostNetState,
  iptablesRules,
  leasesOf,
  linkExists,
  manyNetworked,
  netBundle,
  sh,
  type ManyResult,
} from './net-harness.js';

const skip = cniSkipReason();

/** A conflist file: the bundle's own, changed by edit. */
function conflist(dir: string, edit: (c: any) => void): string {
  const c = JSON.parse(fs.readFileSync(defaultConflist, 'utf8'));
  edit(c);
  const file = path.join(dir, `net-${Math.random().toString(36).slice(2)}.conflist`);
  fs.writeFileSync(file, JSON.stringify(c));
  return file;
}

function busyboxPing(ip: string): { code: number; out: string } {
  const r = spawnSync('busybox', ['ping', '-c', '1', '-W', '3', ip], { encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout + r.stderr };
}

describe('bundles/net: eth0 on the tsrun0 bridge through the CNI plugins', { skip }, () => {
  let rt: Runtime;
  let stateDir: string;
  let host: ReturnType<typeof hostNetState>;
  let portsBefore: Set<string>;
  let rulesBefore: Set<string>;
  const ids: string[] = [];
  const veths: string[] = [];
  const ips: string[] = [];

  before(() => {
    host = hostNetState();
    rt = new Runtime();
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-net-state-'));
    portsBefore = bridgePorts();
    rulesBefore = iptablesRules();
  });
  after(() => {
    try {
      rt.cleanup();
      assertNetLeftNothing({ stateDir, ids, portsBefore, rulesBefore, veths, ips });
    } finally {
      host.restore();
      fs.rmSync(stateDir, { recursive: true, force: true });
    }
  });

  /** create + start a container that runs args; returns its id and attachment. */
  function startNet(args: string[], extra: { publish?: string[]; conflist?: string } = {}) {
    const id = uniqueId('net');
    ids.push(id);
    const bundle = netBundle({ args, stateDir, ...extra });
    const c = rt.run(['create', '--bundle', bundle, id]);
    assert.equal(c.code, 0, c.stderr);
    const a = attachment(stateDir, id);
    veths.push(a.hostVeth);
    ips.push(a.ip);
    const s = rt.run(['start', id]);
    assert.equal(s.code, 0, s.stderr);
    return { id, bundle, ...a };
  }

  function remove(id: string): void {
    const r = rt.run(['delete', '--force', id]);
    assert.equal(r.code, 0, r.stderr);
  }

  test('run: eth0 has an address from 10.89.0.0/24 and a default route via the bridge; delete gives it all back', () => {
    const id = uniqueId('net');
    ids.push(id);
    const bundle = netBundle({ args: ['/bin/sh', '-c', 'ip -4 -o addr show eth0; ip route; ping -c 1 -W 3 10.89.0.1 >/dev/null && echo gateway answers'], stateDir });
    const r = rt.run(['run', '--bundle', bundle, id]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /eth0\s+inet 10\.89\.0\.(\d+)\/24/);
    assert.match(r.stdout, /^default via 10\.89\.0\.1 dev eth0/m);
    assert.match(r.stdout, /gateway answers/);
    assert.ok(linkExists(bridge), 'the tsrun0 bridge exists');
    // run has deleted the container: poststop has run DEL.
    assertNetLeftNothing({ stateDir, ids: [id], portsBefore, rulesBefore });
    fs.rmSync(bundle, { recursive: true, force: true });
  });

  test('the example as bundles/prepare writes it (make-config, its default command): eth0, the route, the gateway answers; lo is up', () => {
    const id = uniqueId('net');
    ids.push(id);
    const bundle = netBundle({ args: [], stateDir });
    const config = JSON.parse(fs.readFileSync(path.join(bundle, 'config.json'), 'utf8'));
    assert.deepEqual(config.linux.sysctl, { 'net.ipv4.ping_group_range': '0 2147483647' });
    assert.deepEqual(Object.keys(config.hooks), ['createRuntime', 'poststop']);
    const r = rt.run(['run', '--bundle', bundle, id]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /inet 10\.89\.0\.\d+\/24 .* eth0/);
    assert.match(r.stdout, /^default via 10\.89\.0\.1 dev eth0/m);
    assert.match(r.stdout, /1 packets received/);
    const loId = uniqueId('net');
    ids.push(loId);
    const loBundle = netBundle({ args: ['ping', '-c', '1', '-W', '2', '127.0.0.1'], stateDir });
    const lo = rt.run(['run', '--bundle', loBundle, loId]);
    assert.equal(lo.code, 0, `lo is up without the loopback plugin (the runtime brings it up): ${lo.stdout}${lo.stderr}`);
    assertNetLeftNothing({ stateDir, ids: [id, loId], portsBefore, rulesBefore });
    for (const b of [bundle, loBundle]) fs.rmSync(b, { recursive: true, force: true });
  });

  test('the host pings a container, and two containers ping each other; the veth is on tsrun0', () => {
    const a = startNet(['sleep', '600']);
    const b = startNet(['sleep', '600']);
    assert.notEqual(a.ip, b.ip);
    for (const c of [a, b]) {
      assert.match(c.ip, /^10\.89\.0\.\d+$/);
      assert.match(sh('ip', ['-o', 'link', 'show', 'dev', c.hostVeth]), new RegExp(`master ${bridge}`));
      const p = busyboxPing(c.ip);
      assert.equal(p.code, 0, `host -> ${c.ip}: ${p.out}`);
    }
    for (const [from, to] of [[a, b], [b, a]]) {
      const r = rt.run(['exec', from.id, 'ping', '-c', '1', '-W', '3', to.ip]);
      assert.equal(r.code, 0, `${from.ip} -> ${to.ip}: ${r.stdout}${r.stderr}`);
    }
    remove(a.id);
    remove(b.id);
    assertNetLeftNothing({ stateDir, ids: [a.id, b.id], portsBefore, rulesBefore, veths: [a.hostVeth, b.hostVeth], ips: [a.ip, b.ip] });
  });

  test('port mapping: host 127.0.0.1:8080 reaches a server on port 80 in the container (portmap)', async () => {
    const c = startNet(['/bin/sh', '-c', 'mkdir /tmp/www && echo served-from-port-80 >/tmp/www/index.html && exec httpd -f -p 80 -h /tmp/www'], {
      publish: ['8080:80/tcp'],
    });
    let body = '';
    for (let i = 0; i < 50 && !body; i++) {
      body = await new Promise<string>((resolve) => {
        const s = net.connect(8080, '127.0.0.1');
        let got = '';
        s.on('connect', () => s.write('GET /index.html HTTP/1.0\r\n\r\n'));
        s.on('data', (d) => (got += d));
        s.on('end', () => resolve(got));
        s.on('error', () => resolve(''));
        s.setTimeout(2000, () => (s.destroy(), resolve('')));
      });
      if (!body) await sleep(100);
    }
    assert.match(body, /served-from-port-80/);
    assert.equal(fs.readFileSync(`/proc/sys/net/ipv4/conf/${bridge}/route_localnet`, 'utf8').trim(), '1', 'portmap set route_localnet');
    remove(c.id);
    assertNetLeftNothing({ stateDir, ids: [c.id], portsBefore, rulesBefore, veths: [c.hostVeth], ips: [c.ip] });
    assert.ok(![...iptablesRules()].some((r) => r.includes('--dport 8080')), 'the DNAT of port 8080 is gone');
  });

  test('masquerade: an "outside" host in a namespace of ours sees the host\'s address as the source', async () => {
    // 198.51.100.0/24 (TEST-NET-2) lives only on this veth pair, between the host and the namespace.
    const ns = `tsrun-outside-${process.pid}`;
    const hostEnd = `tso${process.pid % 100000}h`;
    const nsEnd = `tso${process.pid % 100000}o`;
    sh('ip', ['netns', 'add', ns]);
    let server: ReturnType<typeof spawn> | undefined;
    try {
      sh('ip', ['link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', nsEnd]);
      sh('ip', ['link', 'set', nsEnd, 'netns', ns]);
      sh('ip', ['addr', 'add', '198.51.100.1/24', 'dev', hostEnd]);
      sh('ip', ['link', 'set', hostEnd, 'up']);
      sh('ip', ['netns', 'exec', ns, 'ip', 'addr', 'add', '198.51.100.2/24', 'dev', nsEnd]);
      sh('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', nsEnd, 'up']);
      sh('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
      // No route back to 10.89.0.0/24 in there: only a masqueraded connection can be answered.
      server = spawn('ip', ['netns', 'exec', ns, 'python3', '-c',
        'import socket\ns=socket.socket()\ns.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1)\ns.bind(("198.51.100.2",9000))\ns.listen()\nprint("ready",flush=True)\nc,a=s.accept()\nc.sendall(("source="+a[0]+"\\n").encode())\nc.close()'],
        { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve, reject) => {
        server!.stdout!.once('data', () => resolve());
        server!.once('exit', (code) => reject(new Error(`outside server exited ${code}`)));
      });
      const c = startNet(['sleep', '600']);
      const r = rt.run(['exec', c.id, 'nc', '-w', '5', '198.51.100.2', '9000']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'source=198.51.100.1', `the outside host saw ${r.stdout.trim()}, not the host's address`);
      remove(c.id);
      assertNetLeftNothing({ stateDir, ids: [c.id], portsBefore, rulesBefore, veths: [c.hostVeth], ips: [c.ip] });
    } finally {
      server?.kill();
      spawnSync('ip', ['netns', 'del', ns]);
      if (linkExists(hostEnd)) spawnSync('ip', ['link', 'del', hostEnd]);
    }
  });

  describe('bad input: create fails with the hook\'s message and leaves nothing', () => {
    function failingCreate(bundle: string, id: string, expect: RegExp): void {
      ids.push(id);
      const ports = bridgePorts();
      const rules = iptablesRules();
      const r = rt.run(['create', '--bundle', bundle, id]);
      assert.notEqual(r.code, 0, 'create succeeded');
      // tsrun's error line quotes the hook's stderr (logrus style: \" for ").
      const message = r.stderr.replace(/\\"/g, '"');
      assert.match(message, /config\.json: \/hooks\/createRuntime\/0: hook .*cni-hook exited with status 1, stderr: cni-hook add: /);
      assert.match(message, expect);
      assert.ok(!rt.ids().includes(id), 'state left');
      assertNetLeftNothing({ stateDir, ids: [id], portsBefore: ports, rulesBefore: rules });
      fs.rmSync(bundle, { recursive: true, force: true });
    }

    test('a missing plugin', () => {
      const file = conflist(stateDir, (c) => c.plugins.push({ type: 'tsrun-no-such-plugin' }));
      failingCreate(netBundle({ args: ['true'], stateDir, conflist: file }), uniqueId('net'), /plugin "tsrun-no-such-plugin" not found in CNI_PATH/);
    });

    test('a CNI config that is not JSON, and one whose plugin has no type', () => {
      const notJson = path.join(stateDir, 'broken.conflist');
      fs.writeFileSync(notJson, '{"cniVersion": "1.0.0", "name": ');
      failingCreate(netBundle({ args: ['true'], stateDir, conflist: notJson }), uniqueId('net'), /broken\.conflist: the CNI config is not JSON/);
      const noType = conflist(stateDir, (c) => delete c.plugins[1].type);
      failingCreate(netBundle({ args: ['true'], stateDir, conflist: noType }), uniqueId('net'), /\/plugins\/1\/type must name a plugin binary/);
    });

    test('a plugin that fails after bridge succeeded: the partial ADD is rolled back', () => {
      // tuning runs last, after bridge, portmap and firewall have added theirs, and refuses a sysctl that does not exist.
      const file = conflist(stateDir, (c) => c.plugins.push({ type: 'tuning', sysctl: { 'net.ipv4.conf.eth0.tsrun_no_such_sysctl': '1' } }));
      failingCreate(netBundle({ args: ['true'], stateDir, conflist: file, publish: ['8081:80'] }), uniqueId('net'), /plugin "tuning" ADD failed: .*tsrun_no_such_sysctl/);
    });

    test('a pool that has run out', () => {
      // A network of one address: the second container finds none.
      const network = `tsrun-pool-${process.pid}`;
      const file = conflist(stateDir, (c) => {
        c.name = network;
        c.plugins[0].ipam.ranges = [[{ subnet: '10.89.0.0/24', gateway: '10.89.0.1', rangeStart: '10.89.0.254', rangeEnd: '10.89.0.254' }]];
      });
      const first = uniqueId('net');
      ids.push(first);
      try {
        const c = rt.run(['create', '--bundle', netBundle({ args: ['sleep', '600'], stateDir, conflist: file }), first]);
        assert.equal(c.code, 0, c.stderr);
        assert.equal(attachment(stateDir, first, network).ip, '10.89.0.254');
        failingCreate(netBundle({ args: ['true'], stateDir, conflist: file }), uniqueId('net'), /no IP addresses available/);
        remove(first);
        assert.deepEqual(leasesOf([first], network), []);
      } finally {
        fs.rmSync(path.join('/var/lib/cni/networks', network), { recursive: true, force: true });
      }
    });
  });
});

describe('many at once: 50 networked containers from the same layers', { skip }, () => {
  test('distinct addresses, each answers the host and a neighbour; afterwards nothing is left', async (t) => {
    const host = hostNetState();
    const rt = new Runtime();
    const work = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-many-'));
    const portsBefore = bridgePorts();
    const rulesBefore = iptablesRules();
    let res: ManyResult | undefined;
    try {
      res = await manyNetworked({ bin: rt.bin, root: rt.root, n: 50, width: 4, work, prefix: 'many' });
      assert.equal(res.ips.length, 50);
      t.diagnostic(`ms: ${JSON.stringify(res.ms)}`);
      rt.cleanup();
      assertNetLeftNothing({ stateDir: path.join(work, 'net-state'), ids: res.ids, portsBefore, rulesBefore, veths: res.veths, ips: res.ips });
      const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8');
      for (const b of res.bundles) assert.ok(!mounts.includes(b), `a mount of ${b} is left`);
      assert.deepEqual(cgroupsNamed(res.ids), [], 'a cgroup is left');
    } finally {
      if (fs.existsSync(rt.root)) {
        for (const id of rt.ids()) rt.run(['delete', '--force', id]);
        fs.rmSync(rt.root, { recursive: true, force: true });
      }
      host.restore();
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});
