// Turns a validated config into the plain plan tsrun-init carries out. All
// decisions are made here, without root and without syscalls, so unit tests
// can check them; init only follows the plan.
import path from 'node:path';
import type { Config, Mount } from '../spec/types.js';
import { MS, NS_CLONE_FLAGS } from './linux.js';
import { parseMountOptions, PROPAGATION_OPTIONS } from './mount-options.js';
import { planDevices, planDevSymlinks } from './devices.js';
import { PlanError } from '../core/errors.js';

export { PlanError };
import { refuseUnsupported } from './support.js';
import { isOwnNamespace, type HostFacts } from './host.js';
import { planProcess } from './process-plan.js';
import { planContainerPaths, planSysctl } from './sysctl.js';
import type { CgroupRecord } from '../cgroups/index.js';
import { expandCgroupMount } from './cgroup-mounts.js';
import { cloneTarget, containerPlacement, withCgroupInto } from '../cgroups/placement.js';
import { planWithoutMountNamespace } from './no-mount-ns.js';
import { mapText } from './userns.js';
import { planNetDevices } from './netdevices.js';
import { HOST_MOUNTS_FILE } from './state.js';
import { needsHooksSync, planHooks } from './hooks.js';
import type { CreatePlan, IdmapPlan, MountPlan, NamespacePlan } from './plan-schema.js';
import { PLAN_VERSION } from './plan-version.js';
import { joinOrder } from './namespace-order.js';

export type { CreatePlan, IdmapPlan, MountPlan, NamespacePlan };

export interface PlanOptions {
  id: string;
  bundle: string;
  fifoPath: string;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  preserveFds?: number;
  /** A --pidfd-socket was given. */
  pidfdSocket?: boolean;
  inheritedNofile?: [number, number];
  host: HostFacts;
  /** Where the container's cgroup goes (create always has one): "cgroup" mounts show it. */
  cgroup?: CgroupRecord;
  /** Rootless by euid: idmapped mounts are refused (mount_setattr needs CAP_SYS_ADMIN on the host). */
  rootless?: boolean;
  warn(message: string): void;
  /** Is the namespace file at path tsrun's own (procName: its /proc/self/ns name)? Default: host.ts isOwnNamespace. */
  isOwnNamespace?(path: string, procName: string): boolean;
}

export function rootfsPath(config: Config, bundle: string): string {
  return path.resolve(bundle, config.root?.path ?? '');
}

function planNamespaces(config: Config): NamespacePlan[] {
  const seen = new Set<string>();
  return joinOrder(
    (config.linux?.namespaces ?? []).map((ns, i) => {
      const configPath = `/linux/namespaces/${i}`;
      if (seen.has(ns.type)) throw new PlanError(`${configPath}/type`, `the ${ns.type} namespace is listed twice`);
      seen.add(ns.type);
      const cloneFlag = NS_CLONE_FLAGS[ns.type];
      return ns.path ? { type: ns.type, cloneFlag, path: ns.path, configPath } : { type: ns.type, cloneFlag, configPath };
    }),
  );
}


/**
 * uidMappings/gidMappings, or the idmap/ridmap option: both maps are needed,
 * as runc needs them; a bare option takes the container's own user-namespace
 * maps. Bind mounts only, as runc has it.
 */
function planIdmap(m: Mount, configPath: string, option: 'idmap' | 'ridmap' | undefined, bind: boolean, config: Config): IdmapPlan | undefined {
  const hasUid = (m.uidMappings?.length ?? 0) > 0;
  const hasGid = (m.gidMappings?.length ?? 0) > 0;
  if (!hasUid && !hasGid && !option) return undefined;
  if (!bind) throw new PlanError(`${configPath}/type`, `an idmapped mount must be a bind mount (type "bind", or the bind/rbind option), not type ${JSON.stringify(m.type)}`);
  if (hasUid !== hasGid) {
    const missing = hasUid ? 'gidMappings' : 'uidMappings';
    throw new PlanError(`${configPath}/${missing}`, 'an idmapped mount needs both uidMappings and gidMappings');
  }
  if (hasUid) {
    return { uidMap: mapText(m.uidMappings!, `${configPath}/uidMappings`), gidMap: mapText(m.gidMappings!, `${configPath}/gidMappings`), recursive: option === 'ridmap' };
  }
  const uid = config.linux?.uidMappings ?? [];
  const gid = config.linux?.gidMappings ?? [];
  if (!uid.length || !gid.length) {
    throw new PlanError(`${configPath}/options`, `"${option}" without uidMappings and gidMappings takes the container's user-namespace maps, and the config has none (give the mount uidMappings and gidMappings, or linux.uidMappings and linux.gidMappings)`);
  }
  return { uidMap: mapText(uid, '/linux/uidMappings'), gidMap: mapText(gid, '/linux/gidMappings'), recursive: option === 'ridmap' };
}

function planMount(m: Mount, i: number, bundle: string, config: Config): MountPlan {
  const configPath = `/mounts/${i}`;
  const opts = parseMountOptions(m.options ?? [], configPath);
  let flags = opts.flags;
  if (m.type === 'bind') flags |= MS.BIND;
  const bind = (flags & MS.BIND) !== 0;
  // Bind sources are host paths, relative ones to the bundle (config.md, mounts).
  const source = m.source === undefined ? (m.type ?? 'none') : bind ? path.resolve(bundle, m.source) : m.source;
  if (!bind && !m.type) throw new PlanError(`${configPath}/type`, 'a mount that is not a bind mount needs a type');
  const idmap = planIdmap(m, configPath, opts.idmap, bind, config);
  return {
    destination: path.posix.resolve('/', m.destination),
    source,
    type: bind ? '' : m.type ?? '',
    flags,
    propagation: opts.propagation,
    data: opts.data.join(','),
    recAttrSet: opts.recAttrSet,
    recAttrClr: opts.recAttrClr,
    ...(idmap ? { idmap } : {}),
    configPath,
  };
}

function planRootfsPropagation(config: Config): number {
  const p = config.linux?.rootfsPropagation;
  // rslave by default: the container sees the host's new mounts, the host never sees the container's.
  return p ? PROPAGATION_OPTIONS[p] | MS.REC : MS.SLAVE | MS.REC;
}

function planTimeOffsets(config: Config, newTimeNs: boolean): string | undefined {
  const offsets = config.linux?.timeOffsets;
  if (!offsets || !Object.keys(offsets).length) return undefined;
  if (!newTimeNs) {
    throw new PlanError('/linux/timeOffsets', 'time offsets need a new time namespace: add {"type": "time"} (without a path) to linux.namespaces');
  }
  return Object.entries(offsets)
    .map(([clock, o]) => {
      const nanos = o?.nanosecs ?? 0;
      if (nanos < 0 || nanos > 999_999_999) throw new PlanError(`/linux/timeOffsets/${clock}/nanosecs`, `must be from 0 to 999999999, not ${nanos}`);
      return `${clock} ${o?.secs ?? 0} ${nanos}\n`;
    })
    .join('');
}

// hostname and domainname are set in the container's uts namespace, new or
// joined (runc refuses only when there is none). Joining tsrun's own would
// rename the host, which runc does; we refuse it (init checks again on the fd).
function planUtsNames(config: Config, namespaces: NamespacePlan[], isOwn: (path: string, procName: string) => boolean): void {
  const uts = namespaces.find((n) => n.type === 'uts');
  for (const field of ['hostname', 'domainname'] as const) {
    if (config[field] === undefined) continue;
    if (!uts) throw new PlanError(`/${field}`, `setting a ${field} needs a uts namespace (add {"type": "uts"} to linux.namespaces)`);
    if (uts.path && isOwn(uts.path, 'uts')) {
      throw new PlanError(`/${field}`, `${uts.configPath}/path: ${uts.path} is the host's own uts namespace; setting a ${field} there would rename the host (make a new uts namespace, or join another one)`);
    }
  }
}

// pivot_root in a joined mount namespace moves the root of every process in
// it: in tsrun's own, that is the whole host. Leaving the entry out shares the
// host's mounts safely (a chroot; no-mount-ns.ts). init checks again on the fd.
function refuseOwnMountNamespace(namespaces: NamespacePlan[], isOwn: (path: string, procName: string) => boolean): void {
  const mnt = namespaces.find((n) => n.type === 'mount');
  if (mnt?.path && isOwn(mnt.path, 'mnt')) {
    throw new PlanError(`${mnt.configPath}/path`, `${mnt.path} is the host's own mount namespace; pivot_root there would move the root of every process on the host (leave the mount entry out to share the host's mounts: the container's root is then a chroot)`);
  }
}

export function buildCreatePlan(config: Config, opts: PlanOptions): CreatePlan {
  refuseUnsupported(config);
  const proc = config.process;
  if (!proc) throw new PlanError('/process', 'create needs a process to run');
  if (!config.root?.path) throw new PlanError('/root/path', 'is required on Linux');

  const namespaces = planNamespaces(config);
  const newNs = (t: string) => namespaces.some((n) => n.type === t && !n.path);
  const hasNs = (t: string) => namespaces.some((n) => n.type === t);
  const hostMounts = hasNs('mount') ? undefined : planWithoutMountNamespace(config, opts.warn);
  refuseOwnMountNamespace(namespaces, opts.isOwnNamespace ?? isOwnNamespace);
  planUtsNames(config, namespaces, opts.isOwnNamespace ?? isOwnNamespace);

  return {
    version: PLAN_VERSION,
    mode: 'create',
    bundle: opts.bundle,
    rootfs: rootfsPath(config, opts.bundle),
    readonlyRoot: config.root.readonly === true,
    noPivot: opts.noPivot === true,
    newMountNamespace: newNs('mount'),
    joinedMountNamespace: hasNs('mount') && !newNs('mount'),
    hostMountRecord: hostMounts && path.join(path.dirname(opts.fifoPath), HOST_MOUNTS_FILE),
    rootfsPropagation: planRootfsPropagation(config),
    rootfsPropagationAfter: config.linux?.rootfsPropagation ? planRootfsPropagation(config) : 0,
    namespaces,
    hostname: config.hostname,
    domainname: config.domainname,
    mounts: (config.mounts ?? []).flatMap((m, i) => {
      const planned = planMount(m, i, opts.bundle, config);
      if (planned.idmap && opts.rootless) {
        throw new PlanError(`/mounts/${i}`, 'idmapped mounts are not supported for rootless containers (making one needs CAP_SYS_ADMIN on the host, as runc also refuses): use a plain bind mount, or run tsrun as root');
      }
      if (planned.idmap && !hasNs('mount')) throw new PlanError(`/mounts/${i}`, 'an idmapped mount needs a mount namespace (add {"type": "mount"} to linux.namespaces)');
      // config.md: relative destinations are deprecated, and taken from "/" (as runc 1.1 does, with a warning).
      if (!m.destination.startsWith('/')) opts.warn(`/mounts/${i}/destination: ${JSON.stringify(m.destination)} is not absolute; it is mounted at ${planned.destination} (relative destinations are deprecated)`);
      if (m.type !== 'cgroup') return [planned];
      if (!opts.cgroup) throw new PlanError(`/mounts/${i}`, 'a cgroup mount needs the container\'s cgroup, which was not planned');
      // A new cgroup namespace is rooted at the container's cgroup: mount it; else bind its directories.
      return expandCgroupMount(planned, opts.cgroup, newNs('cgroup'));
    }),
    devices: hostMounts?.makeDevices === false ? [] : planDevices(config),
    bindDevices: hasNs('user') || opts.host.inUserNs === true,
    devSymlinks: hostMounts?.makeDevices === false ? [] : planDevSymlinks(config),
    sysctl: planSysctl(config),
    timeOffsets: planTimeOffsets(config, newNs('time')),
    readonlyPaths: planContainerPaths(config.linux?.readonlyPaths, 'readonlyPaths'),
    maskedPaths: planContainerPaths(config.linux?.maskedPaths, 'maskedPaths'),
    fifoPath: opts.fifoPath,
    sessionKeyring: opts.noNewKeyring ? undefined : opts.id,
    process: planProcess(proc, config, opts),
    hooksSync: needsHooksSync(config),
    hooks: planHooks(config),
    // Every container gets a cgroup (as with runc): stage 0 joins it before it clones.
    cgroupSync: true,
    // Not rootless: its cgroup may not be made at all (rootless-cgroup.ts), and is not the caller's to clone into.
    ...withCgroupInto(opts.cgroup && !opts.rootless ? cloneTarget(containerPlacement(opts.cgroup), hasNs('user'), '/linux/cgroupsPath') : undefined),
    netDevices: planNetDevices(config, namespaces),
  };
}
