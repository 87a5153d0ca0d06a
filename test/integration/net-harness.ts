// Shared by the tests (and the bench) of bundles/net: networked bundles made
// by bundles/net/make-config, what cni-hook cached for a container, and what
// the CNI plugins leave on the host (veths, leases, iptables rules, sysctls).
import { spawnSync } from 'node:child_process';
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

/** A temp bundle whose hooks attach it through cni-hook, with the hook's pins and cache in stateDir. */
export function netBundle(o: NetBundleOptions): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tsrun-net-bundle-'));
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

/**
 * The host state the plugins change: bridge's isGateway sets ip_forward,
 * portmap sets route_localnet, and the tsrun0 bridge stays. restore() puts
 * the three back as they were.
 */
export function hostNetState() {
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
