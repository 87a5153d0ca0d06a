// Turns a validated config into the plain plan tsrun-init carries out. All
// decisions are made here, without root and without syscalls, so unit tests
// can check them; init only follows the plan.
import path from 'node:path';
import type { Config, Mount } from '../spec/types.js';
import { MS } from './linux.js';
import { parseMountOptions, PROPAGATION_OPTIONS } from './mount-options.js';
import { UnsupportedError } from './errors.js';
import { planDevices, planDevSymlinks, type DevicePlan, type DevSymlink } from './devices.js';
import { PlanError } from './plan-error.js';

export { PlanError };
import { refuseUnsupported } from './support.js';
import type { HostFacts } from './host.js';
import { planProcess, type ProcessPlan } from './process-plan.js';
import { planContainerPaths, planSysctl, type SysctlPlan } from './sysctl.js';

export interface MountPlan {
  destination: string;
  source: string;
  type: string;
  flags: number;
  propagation: number[];
  data: string;
  configPath: string;
}

export interface NamespacePlan {
  type: string;
  path?: string;
  configPath: string;
}

export interface CreatePlan {
  [key: string]: unknown;
  mode: 'create';
  rootfs: string;
  readonlyRoot: boolean;
  noPivot: boolean;
  newMountNamespace: boolean;
  rootfsPropagation: number;
  namespaces: NamespacePlan[];
  hostname?: string;
  domainname?: string;
  mounts: MountPlan[];
  devices: DevicePlan[];
  devSymlinks: DevSymlink[];
  sysctl: SysctlPlan[];
  readonlyPaths: string[];
  maskedPaths: string[];
  fifoPath: string;
  sessionKeyring?: string;
  process: ProcessPlan;
  /** A user namespace is made or joined: init becomes its root before anything else. */
  userns: boolean;
  hooksSync: boolean;
  cgroupSync: boolean;
}

export interface PlanOptions {
  id: string;
  bundle: string;
  fifoPath: string;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  preserveFds?: number;
  inheritedNofile?: [number, number];
  host: HostFacts;
  warn(message: string): void;
}

const NOT_YET_NAMESPACES = new Set(['cgroup', 'time']);

export function rootfsPath(config: Config, bundle: string): string {
  return path.resolve(bundle, config.root?.path ?? '');
}

function planNamespaces(config: Config): NamespacePlan[] {
  const seen = new Set<string>();
  return (config.linux?.namespaces ?? []).map((ns, i) => {
    const configPath = `/linux/namespaces/${i}`;
    if (seen.has(ns.type)) throw new PlanError(`${configPath}/type`, `the ${ns.type} namespace is listed twice`);
    seen.add(ns.type);
    // Joining an existing cgroup or time namespace needs none of the work still to come.
    if (NOT_YET_NAMESPACES.has(ns.type) && !ns.path) {
      throw new UnsupportedError(`config.json: ${configPath}: the ${ns.type} namespace is not supported by tsrun yet`);
    }
    return ns.path ? { type: ns.type, path: ns.path, configPath } : { type: ns.type, configPath };
  });
}

function planMount(m: Mount, i: number, bundle: string): MountPlan {
  const configPath = `/mounts/${i}`;
  if (m.uidMappings?.length || m.gidMappings?.length) {
    throw new UnsupportedError(`config.json: ${configPath}: idmapped mounts (uidMappings/gidMappings) are not supported by tsrun yet`);
  }
  const opts = parseMountOptions(m.options ?? [], configPath);
  let flags = opts.flags;
  if (m.type === 'bind') flags |= MS.BIND;
  const bind = (flags & MS.BIND) !== 0;
  // Bind sources are host paths, relative ones to the bundle (config.md, mounts).
  const source = m.source === undefined ? (m.type ?? 'none') : bind ? path.resolve(bundle, m.source) : m.source;
  if (!bind && !m.type) throw new PlanError(`${configPath}/type`, 'a mount that is not a bind mount needs a type');
  return {
    destination: path.posix.resolve('/', m.destination),
    source,
    type: bind ? '' : m.type ?? '',
    flags,
    propagation: opts.propagation,
    data: opts.data.join(','),
    configPath,
  };
}

function planRootfsPropagation(config: Config): number {
  const p = config.linux?.rootfsPropagation;
  if (!p) return MS.SLAVE | MS.REC;
  if (p === 'shared' || p === 'unbindable') {
    throw new UnsupportedError(`config.json: /linux/rootfsPropagation: "${p}" is not supported by tsrun yet (private and slave are)`);
  }
  return PROPAGATION_OPTIONS[p] | MS.REC;
}

export function buildCreatePlan(config: Config, opts: PlanOptions): CreatePlan {
  refuseUnsupported(config);
  const proc = config.process;
  if (!proc) throw new PlanError('/process', 'create needs a process to run');
  if (!config.root?.path) throw new PlanError('/root/path', 'is required on Linux');

  const namespaces = planNamespaces(config);
  const newNs = (t: string) => namespaces.some((n) => n.type === t && !n.path);
  const hasNs = (t: string) => namespaces.some((n) => n.type === t);
  if (!hasNs('mount')) {
    throw new PlanError('/linux/namespaces', 'tsrun needs a mount namespace (add {"type": "mount"}) to set up the rootfs');
  }
  if (config.hostname !== undefined && !newNs('uts')) {
    throw new PlanError('/hostname', 'setting a hostname needs a new uts namespace (add {"type": "uts"} to linux.namespaces)');
  }
  if (config.domainname !== undefined && !newNs('uts')) {
    throw new PlanError('/domainname', 'setting a domainname needs a new uts namespace (add {"type": "uts"} to linux.namespaces)');
  }

  return {
    mode: 'create',
    rootfs: rootfsPath(config, opts.bundle),
    readonlyRoot: config.root.readonly === true,
    noPivot: opts.noPivot === true,
    newMountNamespace: newNs('mount'),
    rootfsPropagation: planRootfsPropagation(config),
    namespaces,
    hostname: config.hostname,
    domainname: config.domainname,
    mounts: (config.mounts ?? []).map((m, i) => planMount(m, i, opts.bundle)),
    devices: planDevices(config),
    devSymlinks: planDevSymlinks(config),
    sysctl: planSysctl(config),
    readonlyPaths: planContainerPaths(config.linux?.readonlyPaths, 'readonlyPaths'),
    maskedPaths: planContainerPaths(config.linux?.maskedPaths, 'maskedPaths'),
    fifoPath: opts.fifoPath,
    sessionKeyring: opts.noNewKeyring ? undefined : opts.id,
    process: planProcess(proc, config, opts),
    userns: hasNs('user'),
    hooksSync: false,
    cgroupSync: false,
  };
}
