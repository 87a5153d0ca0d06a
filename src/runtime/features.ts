// The features document (runtime-spec features.md, features-linux.md): what
// tsrun implements, built from the same tables the runtime itself uses, so it
// lists nothing that create would refuse. Pure: the facts come as parameters.
import { OCI_VERSION } from '../spec/version.js';
import { CAPABILITY_NAMES } from './capabilities.js';
import { NS_FILES } from './exec-plan.js';
import { HOOK_NAMES } from './hooks.js';
import { MOUNT_OPTION_NAMES } from './mount-options.js';
import { seccompNames, type SeccompFacts } from './seccomp.js';
import { REFUSED_FIELDS } from './support.js';

export interface FeatureFacts {
  /** tsrun's own version (package.json). */
  version: string;
  /** What the kernel and the linked libseccomp can do (seccompFacts(): the addon's seccompSupport() and seccompKnownArchs()). */
  seccomp: SeccompFacts;
  apparmorEnabled: boolean;
  selinuxEnabled: boolean;
  /** The kernel can idmap a bind mount: mount_setattr(MOUNT_ATTR_IDMAP), Linux 5.12+ (idmappedMountsWork in host.ts). */
  idmapMounts: boolean;
  /** The systemd cgroup driver can run here: a pure cgroup v2 host with systemd as init (systemdDriverProblem). */
  systemdDriver: boolean;
  /** The config paths create refuses (support.ts); a feature under one is reported as not supported. */
  refused?: readonly string[];
}

export interface Features {
  ociVersionMin: string;
  ociVersionMax: string;
  hooks: string[];
  mountOptions: string[];
  linux: {
    namespaces: string[];
    capabilities: string[];
    cgroup: { v1: boolean; v2: boolean; systemd: boolean; systemdUser: boolean; rdma: boolean };
    seccomp: {
      enabled: boolean;
      actions: string[];
      operators: string[];
      archs: string[];
      knownFlags: string[];
      supportedFlags: string[];
    };
    apparmor: { enabled: boolean };
    selinux: { enabled: boolean };
    intelRdt: { enabled: boolean };
    mountExtensions: { idmap: { enabled: boolean } };
    netDevices: { enabled: boolean };
  };
  annotations: Record<string, string>;
}

const sorted = (names: readonly string[]) => [...names].sort();

export function features(facts: FeatureFacts): Features {
  const refused = facts.refused ?? REFUSED_FIELDS;
  // A field is supported unless it, or a field above it, is refused.
  const supported = (field: string) => !refused.some((r) => field === r || field.startsWith(`${r}/`));
  const resources = supported('/linux/resources');
  const sc = seccompNames(facts.seccomp);
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: OCI_VERSION,
    hooks: [...HOOK_NAMES],
    mountOptions: sorted(MOUNT_OPTION_NAMES),
    linux: {
      // The types tsrun-init makes or joins (none is refused).
      namespaces: sorted(Object.keys(NS_FILES)),
      // All the names tsrun knows, also those newer than this kernel (they are dropped with a warning).
      capabilities: [...CAPABILITY_NAMES],
      cgroup: {
        // cgroupfs on either hierarchy (and hybrid); the systemd driver where this host has systemd on cgroup v2.
        v1: resources,
        v2: resources,
        systemd: resources && facts.systemdDriver,
        systemdUser: false,
        rdma: resources && supported('/linux/resources/rdma'),
      },
      seccomp: {
        enabled: true,
        actions: sorted(sc.actions),
        operators: sorted(sc.operators),
        archs: sorted(sc.archs),
        knownFlags: sc.knownFlags,
        supportedFlags: sc.supportedFlags,
      },
      // tsrun applies a profile or label only where the host has the LSM (process-plan.ts refuses it elsewhere).
      apparmor: { enabled: facts.apparmorEnabled },
      selinux: { enabled: facts.selinuxEnabled },
      intelRdt: { enabled: supported('/linux/intelRdt') },
      // Idmapped bind mounts (native/init/idmap.cc), where the kernel has them.
      mountExtensions: { idmap: { enabled: facts.idmapMounts } },
      netDevices: { enabled: supported('/linux/netDevices') },
    },
    annotations: {
      'io.github.seccomp.libseccomp.version': facts.seccomp.libseccomp,
      'org.opencontainers.tsrun.version': facts.version,
    },
  };
}
