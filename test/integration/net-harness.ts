// Shared by the tests (and the bench) of bundles/net: networked bundles made
// by bundles/net/make-config, what cni-hook cached for a container, and what
// the CNI plugins leave on the host (veths, leases, iptables rules, sysctls).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import assert from 'node:assert/strict';
import { busyboxRootfs, repoRoot } from './harness.js';

export const netDir = path.join(repoRoot, 'bundles', 'net');
export const cniPath = '/usr/lib/cni';
export const bridge = 'tsrun0';
export const defaultConflist = path.join(netDir, 'tsrun-net.conflist');

/** Why the network tests cannot run here, or false. */
export function cniSkipReason(): string | false {
  if (process.getuid?.() !== 0) return 'needs root: attaches containers to a bridge';
  for (const p of ['bridge', 'host-local', 'portmap', 'firewall', 'tuning']) {
    if (!fs.existsSync(path.join(cniPath, p))) return `CNI plugin ${cniPath}/${p} missing: apt-get install containernetworking-plugins`;
  }
  if (spawnSync('iptables-save', ['-t', 'nat']).status !== 0) return 'iptables-save does not work: apt-get install iptables';
  if (spawnSync('python3', ['--version']).status !== 0) return 'python3 missing (cni-hook is a python script)';
  return false;
}

export function sh(cmd: string, args: string[], opts: { input?: string } = {}): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', input: opts.input });
  assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}${r.error ?? ''}`);
  return r.stdout;
}

export interface NetBundleOptions {
  args: string[];
  stateDir: string;
  conflist?: string;
  publish?: string[];
  rootfs?: string;
  /** Rewrites the config before it is written (e.g. an overlay root). */
  patch?: (config: Record<string, any>) => void;
}

/**
 * A temp bundle whose hooks attach it through cni-hook, with the hook's pins
 * and cache in stateDir. The bundle is made inside stateDir too, so removing
 * stateDir removes it.
 */
export function netBundle(o: NetBundleOptions): string {
  const dir = fs.mkdtempSync(path.join(o.stateDir, 'bundle-'));
  const args = ['--rootfs', o.rootfs ?? busyboxRootfs(), '--readonly', `--hook-arg=--state-dir=${o.stateDir}`];
  if (o.conflist) args.push('--conflist', o.conflist);
  for (const p of o.publish ?? []) args.push('--publish', p);
  const config = JSON.parse(sh(path.join(netDir, 'make-config'), [...args, '--', ...o.args]));
  o.patch?.(config);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
  return dir;
}

export interface Attachment {
  ip: string;
  hostVeth: string;
}

/** The address and host-side veth cni-hook's cached ADD result names for the container. */
export function attachment(stateDir: string, id: string, network = 'tsrun'): Attachment {
  const cached = JSON.parse(fs.readFileSync(path.join(stateDir, 'results', `${network}-${id}-eth0`), 'utf8'));
  const result = cached.result;
  const ip = String(result.ips[0].address).split('/')[0];
  const hostVeth = result.interfaces.find((i: { name: string; sandbox?: string }) => !i.sandbox && i.name !== bridge)?.name;
  assert.ok(hostVeth, `no host veth in ${JSON.stringify(result)}`);
  return { ip, hostVeth };
}

export function linkExists(name: string): boolean {
  return spawnSync('ip', ['link', 'show', 'dev', name], { stdio: 'ignore' }).status === 0;
}

/** The interfaces enslaved to tsrun0 now. */
export function bridgePorts(): Set<string> {
  if (!linkExists(bridge)) return new Set();
  const out = sh('ip', ['-o', 'link', 'show', 'master', bridge]);
  return new Set(out.split('\n').filter(Boolean).map((l) => l.split(':')[1].trim().split('@')[0]));
}

/** host-local's leases of a network that name one of these container ids. */
export function leasesOf(ids: string[], network = 'tsrun'): string[] {
  const dir = path.join('/var/lib/cni/networks', network);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => !f.startsWith('last_reserved_ip') && f !== 'lock')
    .filter((f) => ids.includes(fs.readFileSync(path.join(dir, f), 'utf8').split(/\r?\n/)[0]))
    .map((f) => `${network}/${f}`);
}

/** Every iptables rule (filter and nat), without counters. */
export function iptablesRules(): Set<string> {
  const rules = new Set<string>();
  for (const table of ['filter', 'nat']) {
    for (const l of sh('iptables-save', ['-t', table]).split('\n')) if (l.startsWith('-A ')) rules.add(`${table} ${l}`);
  }
  return rules;
}

// What the plugins set up once per host and share between containers: the
// firewall plugin's CNI-FORWARD and CNI-ADMIN, portmap's CNI-HOSTPORT-*
// chains. None of them names a container.
const sharedRule = [
  /^filter -A FORWARD -m comment --comment "CNI firewall plugin rules" -j CNI-FORWARD$/,
  /^filter -A CNI-FORWARD -m comment --comment "CNI firewall plugin admin overrides" -j CNI-ADMIN$/,
  /^nat -A (PREROUTING|OUTPUT) -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT$/,
  /^nat -A POSTROUTING -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ$/,
  /^nat -A CNI-HOSTPORT-MASQ -m mark --mark 0x2000\/0x2000 -j MASQUERADE$/,
  /^nat -A CNI-HOSTPORT-SETMARK -m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark 0x2000\/0x2000$/,
];

/** The rules added since `before` that are not the plugins' shared setup: the ones a container left. */
export function rulesLeft(before: Set<string>, mentioning: string[] = []): string[] {
  return [...iptablesRules()].filter(
    (r) => !before.has(r) && !sharedRule.some((s) => s.test(r)) && (mentioning.length === 0 || mentioning.some((m) => r.includes(m)) || /CNI-/.test(r)),
  );
}

function sysctl(name: string): string | undefined {
  const p = path.join('/proc/sys', name.replace(/\./g, '/'));
  return fs.existsSync(p) ? fs.readFileSync(p, 'utf8').trim() : undefined;
}

function iptablesChains(): Set<string> {
  const chains = new Set<string>();
  for (const table of ['filter', 'nat']) {
    for (const l of sh('iptables-save', ['-t', table]).split('\n')) if (l.startsWith(':')) chains.add(`${table} ${l.slice(1).split(' ')[0]}`);
  }
  return chains;
}

const sharedChains = ['filter CNI-FORWARD', 'filter CNI-ADMIN', 'nat CNI-HOSTPORT-DNAT', 'nat CNI-HOSTPORT-SETMARK', 'nat CNI-HOSTPORT-MASQ'];

/** Removes the plugins' shared rules and chains that were not there before (once no container uses them). */
function removeSharedSetup(rulesBefore: Set<string>, chainsBefore: Set<string>): void {
  for (const r of iptablesRules()) {
    if (rulesBefore.has(r) || !sharedRule.some((s) => s.test(r))) continue;
    const [table, ...rest] = r.split(' ');
    // iptables-save quotes as sh does.
    spawnSync('sh', ['-c', `iptables -w -t ${table} ${rest.join(' ').replace(/^-A /, '-D ')}`], { stdio: 'ignore' });
  }
  for (const c of sharedChains) {
    if (chainsBefore.has(c) || !iptablesChains().has(c)) continue;
    const [table, chain] = c.split(' ');
    spawnSync('iptables', ['-w', '-t', table, '-X', chain], { stdio: 'ignore' }); // refused while a rule still uses it
  }
}

/**
 * The host state the plugins change: bridge's isGateway sets ip_forward,
 * portmap sets route_localnet, and the tsrun0 bridge stays; so do the
 * firewall and portmap plugins' shared chains and host-local's directory of
 * the network. restore() puts them back as they were.
 */
export function hostNetState() {
  const rulesBefore = iptablesRules();
  const chainsBefore = iptablesChains();
  const leaseDir = '/var/lib/cni/networks/tsrun';
  const hadLeaseDir = fs.existsSync(leaseDir);
  const forward = sysctl('net.ipv4.ip_forward');
  const hadBridge = linkExists(bridge);
  const localnet = sysctl(`net.ipv4.conf.${bridge}.route_localnet`);
  const allLocalnet = sysctl('net.ipv4.conf.all.route_localnet');
  return {
    restore(): void {
      if (forward !== undefined) fs.writeFileSync('/proc/sys/net/ipv4/ip_forward', forward);
      if (allLocalnet !== undefined) fs.writeFileSync('/proc/sys/net/ipv4/conf/all/route_localnet', allLocalnet);
      if (!hadBridge) {
        if (linkExists(bridge) && bridgePorts().size === 0) sh('ip', ['link', 'del', bridge]);
      } else if (localnet !== undefined && linkExists(bridge)) {
        fs.writeFileSync(`/proc/sys/net/ipv4/conf/${bridge}/route_localnet`, localnet);
      }
      removeSharedSetup(rulesBefore, chainsBefore);
      // host-local's bookkeeping (lock, last_reserved_ip.0) once no lease is in it.
      if (!hadLeaseDir && fs.existsSync(leaseDir) && fs.readdirSync(leaseDir).every((f) => f === 'lock' || f.startsWith('last_reserved_ip'))) {
        fs.rmSync(leaseDir, { recursive: true, force: true });
      }
    },
  };
}

/** Nothing of these containers is left: no pin, no cache, no lease, no port on the bridge, no rule. */
export function assertNetLeftNothing(o: {
  stateDir: string;
  ids: string[];
  portsBefore: Set<string>;
  rulesBefore: Set<string>;
  veths?: string[];
  ips?: string[];
  network?: string;
}): void {
  for (const id of o.ids) {
    const pin = path.join(o.stateDir, 'netns', id);
    assert.ok(!fs.existsSync(pin), `cni-hook left its pin ${pin}`);
    assert.ok(!fs.readFileSync('/proc/self/mountinfo', 'utf8').includes(pin), `${pin} is still mounted`);
    const results = path.join(o.stateDir, 'results');
    const cached = fs.existsSync(results) ? fs.readdirSync(results).filter((f) => f.includes(`-${id}-`)) : [];
    assert.deepEqual(cached, [], `cni-hook left a cached result of ${id}`);
  }
  assert.deepEqual(leasesOf(o.ids, o.network), [], 'leases left');
  for (const v of o.veths ?? []) assert.ok(!linkExists(v), `veth ${v} left`);
  const extra = [...bridgePorts()].filter((p) => !o.portsBefore.has(p));
  assert.deepEqual(extra, [], `ports left on ${bridge}`);
  assert.deepEqual(rulesLeft(o.rulesBefore, [...o.ids, ...(o.ips ?? [])]), [], 'iptables rules left');
}

/** Runs bin (tsrun or runc) with --root to completion, stdio in files (a created container keeps them). */
export function runAsync(bin: string, root: string, args: string[]): Promise<{ code: number; stderr: string }> {
  const errFile = path.join(root, `.err-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const err = fs.openSync(errFile, 'w+');
  return new Promise((resolve) => {
    const child = spawn(bin, ['--root', root, ...args], { stdio: ['ignore', 'ignore', err] });
    let settled = false;
    const done = (code: number) => {
      if (settled) return;
      settled = true;
      fs.closeSync(err);
      const stderr = fs.readFileSync(errFile, 'utf8');
      fs.rmSync(errFile, { force: true });
      resolve({ code, stderr });
    };
    child.on('error', () => done(-1));
    child.on('exit', (code, sig) => done(code ?? 128 + (sig ? os.constants.signals[sig] : 0)));
  });
}

/** Runs jobs, at most `width` at a time. */
export async function pool<T>(items: T[], width: number, job: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await job(items[i], i);
      }
    }),
  );
}

export interface ManyOptions {
  /** tsrun's or runc's binary, and a --root of the caller's. */
  bin: string;
  root: string;
  n: number;
  /** Parallel creates and deletes. */
  width: number;
  /** A dir of the caller's (removed by the caller): image, layers, bundles, the hook's state. */
  work: string;
  prefix: string;
}

export interface ManyResult {
  ids: string[];
  ips: string[];
  veths: string[];
  bundles: string[];
  ms: { prepare: number; create: number; start: number; ping: number; delete: number; total: number };
}

/**
 * n networked containers from the same two image layers (bundles/layers) at
 * once: each bundle's root an overlay of the layers with its own upper, its
 * network from cni-hook. Creates them width at a time, starts them, checks
 * every address is distinct and answers a ping from the host and from the
 * next container, then deletes them all. Throws on the first failure (after
 * deleting what it made).
 */
export async function manyNetworked(o: ManyOptions): Promise<ManyResult> {
  const t0 = Date.now();
  const layersTool = (name: string, args: string[]) => sh(path.join(repoRoot, 'bundles', 'layers', name), args);
  const image = path.join(o.work, 'image');
  const layers = path.join(o.work, 'layers');
  const stateDir = path.join(o.work, 'net-state');
  if (!fs.existsSync(image)) layersTool('build-image', [image]);
  const res: ManyResult = { ids: [], ips: [], veths: [], bundles: [], ms: { prepare: 0, create: 0, start: 0, ping: 0, delete: 0, total: 0 } };
  for (let i = 0; i < o.n; i++) {
    const id = `${o.prefix}-${process.pid}-${i}`;
    const dir = path.join(o.work, id);
    fs.mkdirSync(dir);
    layersTool('make-bundle', [dir, '--image', image, '--layers-dir', layers]);
    const overlay = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).mounts[0];
    const netArgs = ['--rootfs', path.join(dir, 'rootfs'), `--hook-arg=--state-dir=${stateDir}`, '--hostname', id, '--', 'sleep', '3600'];
    const config = JSON.parse(sh(path.join(netDir, 'make-config'), netArgs));
    config.mounts.unshift(overlay);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
    res.ids.push(id);
    res.bundles.push(dir);
  }
  const t1 = Date.now();
  res.ms.prepare = t1 - t0;
  const failures: string[] = [];
  const made: string[] = [];
  try {
    await pool(res.ids, o.width, async (id, i) => {
      const r = await runAsync(o.bin, o.root, ['create', '--bundle', res.bundles[i], id]);
      if (r.code !== 0) failures.push(`create ${id}: ${r.stderr}`);
      else made.push(id);
    });
    assert.equal(failures.length, 0, failures.join('\n'));
    const t2 = Date.now();
    res.ms.create = t2 - t1;
    for (const id of res.ids) {
      const a = attachment(stateDir, id);
      res.ips.push(a.ip);
      res.veths.push(a.hostVeth);
      const r = spawnSync(o.bin, ['--root', o.root, 'start', id], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
      assert.equal(r.status, 0, `start ${id}: ${r.stderr}`);
    }
    const t3 = Date.now();
    res.ms.start = t3 - t2;
    assert.equal(new Set(res.ips).size, o.n, `distinct addresses: ${res.ips.join(' ')}`);
    for (const ip of res.ips) assert.match(ip, /^10\.89\.0\.\d+$/);
    await pool(res.ids, o.width, async (id, i) => {
      const host = await new Promise<number>((resolve) =>
        spawn('busybox', ['ping', '-c', '1', '-W', '3', res.ips[i]], { stdio: 'ignore' }).on('exit', (c) => resolve(c ?? -1)),
      );
      if (host !== 0) failures.push(`host cannot ping ${id} at ${res.ips[i]}`);
      const neighbour = res.ips[(i + 1) % o.n];
      const r = await runAsync(o.bin, o.root, ['exec', id, 'ping', '-c', '1', '-W', '3', neighbour]);
      if (r.code !== 0) failures.push(`${id} (${res.ips[i]}) cannot ping ${neighbour}: ${r.stderr}`);
    });
    assert.equal(failures.length, 0, failures.join('\n'));
    const t4 = Date.now();
    res.ms.ping = t4 - t3;
  } finally {
    const t5 = Date.now();
    await pool(made, o.width, async (id) => {
      const r = await runAsync(o.bin, o.root, ['delete', '--force', id]);
      if (r.code !== 0) failures.push(`delete ${id}: ${r.stderr}`);
    });
    res.ms.delete = Date.now() - t5;
    res.ms.total = Date.now() - t1; // the runtime's part: create to delete
  }
  assert.equal(failures.length, 0, failures.join('\n'));
  for (const id of res.ids) {
    const pin = path.join(stateDir, 'netns', id);
    assert.ok(!fs.existsSync(pin), `pin ${pin} left`);
  }
  return res;
}
