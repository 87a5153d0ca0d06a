// OCI runtime-spec v1.3 config.json schema (config.md, config-linux.md and the
// other platforms' sections), written once in TypeBox: the JSON Schema compiled
// by scripts/build-validator.js and the TS types in types.ts both come from here.
//
// Facts follow the official draft-04 schema (schema/*.json). Deliberately
// stricter, from the spec prose: process.args needs at least one entry, and
// ociVersion must be a SemVer 2.0.0 string; process.cwd must be absolute;
// env entries must be NAME=value; a mount destination must not be empty; and
// no string may hold a NUL byte (see Str). Objects stay open (no
// additionalProperties: false) because the spec requires runtimes to ignore
// unknown properties.
//
// `description` on integer ranges and patterns is reused by validate.ts to say
// what is allowed, so keep it phrased as "must be <description>".
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { SECCOMP_ARCHES } from './seccomp-arches.js';

// --- helpers ---------------------------------------------------------------

/** A string enum as a single `enum` keyword (a Union of Literals would make ajv report one error per member). */
function StringEnum<const T extends readonly string[]>(values: T, description?: string) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...(description ? { description } : {}) });
}

/** A JSON object used as a map; values checked by additionalProperties, exactly like the official schema. */
function StringMap<T extends TSchema>(value: T) {
  return Type.Unsafe<Record<string, Static<T>>>({ type: 'object', additionalProperties: value, propertyNames: { pattern: NO_NUL } });
}

// Limits are written as the spec's decimal text in the description because the
// 64-bit bounds are not exactly representable as JS numbers (same for the official schema).
function IntRange(name: string, minimum: number, maximum: number, minText = String(minimum), maxText = String(maximum)) {
  return Type.Integer({ minimum, maximum, description: `an integer from ${minText} to ${maxText} (${name})` });
}

export const Int32 = IntRange('int32', -2147483648, 2147483647);
export const Int64 = IntRange('int64', -9223372036854775808, 9223372036854775807, '-9223372036854775808', '9223372036854775807');
export const Uint8 = IntRange('uint8', 0, 255);
export const Uint16 = IntRange('uint16', 0, 65535);
export const Uint32 = IntRange('uint32', 0, 4294967295);
export const Uint64 = IntRange('uint64', 0, 18446744073709551615, '0', '18446744073709551615');
/** File permission bits, decimal (0o777 = 511). */
export const FileMode = IntRange('file mode', 0, 511);

/**
 * Any string without a NUL byte. Every string tsrun uses ends up in a C string
 * or a syscall, where the kernel reads only up to the first NUL: "/bin/sh\u0000x"
 * would run /bin/sh. So every string of the config refuses NUL, except those
 * tsrun only passes on as JSON (annotations, seccomp listenerMetadata).
 * validate.ts recognises this pattern and words its own message.
 */
export const NO_NUL = '^[^\\u0000]*$';
export function Str(opts: { minLength?: number } = {}) {
  return Type.String({ pattern: NO_NUL, ...opts });
}
/** A string with a pattern of its own, which must exclude NUL itself (test/unit/validate-strings.test.ts checks). */
function Pattern(pattern: string, description: string) {
  return Type.String({ pattern, description });
}

const FilePath = Str();
const ArrayOfStrings = Type.Array(Str());
/** Names that are files, interfaces or kernel keys: no NUL (ajv reports the key). */
const NoNulKeys = { propertyNames: { pattern: NO_NUL } };
/** Keys must be non-empty; same pattern as the official mapStringString. */
export const MapStringString = Type.Unsafe<Record<string, string>>({
  type: 'object',
  patternProperties: { '.{1,}': { type: 'string', pattern: NO_NUL } },
  ...NoNulKeys,
});
/** Annotations are only stored and passed on as JSON, so any string will do. */
export const Annotations = Type.Unsafe<Record<string, string>>({
  type: 'object',
  patternProperties: { '.{1,}': { type: 'string' } },
});
/**
 * An environ entry (IEEE Std 1003.1-2008 XBD 8.1, as config.md says):
 * NAME=value with a non-empty NAME, which ends at the first '='.
 */
export const EnvEntry = Pattern('^[^=\\u0000]+=[^\\u0000]*$',
  'NAME=value, with a non-empty NAME that holds no "=" (e.g. "PATH=/bin")');
const Environ = Type.Array(EnvEntry);

// --- common (defs.json / config.md) -----------------------------------------

// SemVer 2.0.0 (semver.org regex, with [0-9] instead of \d). The major version
// is checked separately in validate.ts so the message can say what is supported.
export const OciVersion = Type.String({
  pattern:
    '^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)' +
    '(?:-((?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(?:\\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?' +
    '(?:\\+([0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?$',
  description: 'a SemVer 2.0.0 version such as "1.3.0"',
});

export const IdMapping = Type.Object({
  containerID: Uint32,
  hostID: Uint32,
  size: Uint32,
});

export const Mount = Type.Object({
  // config.md: a path inside the container; relative ones are taken from "/",
  // but "" names no path at all (it would mount over the container's root).
  destination: Str({ minLength: 1 }),
  source: Type.Optional(FilePath),
  options: Type.Optional(ArrayOfStrings),
  type: Type.Optional(Str()),
  uidMappings: Type.Optional(Type.Array(IdMapping)),
  gidMappings: Type.Optional(Type.Array(IdMapping)),
});

export const Hook = Type.Object({
  path: FilePath,
  args: Type.Optional(ArrayOfStrings),
  env: Type.Optional(Environ),
  timeout: Type.Optional(Type.Integer({ minimum: 1 })),
});

const ArrayOfHooks = Type.Array(Hook);
export const Hooks = Type.Object({
  prestart: Type.Optional(ArrayOfHooks), // deprecated in the spec, still valid
  createRuntime: Type.Optional(ArrayOfHooks),
  createContainer: Type.Optional(ArrayOfHooks),
  startContainer: Type.Optional(ArrayOfHooks),
  poststart: Type.Optional(ArrayOfHooks),
  poststop: Type.Optional(ArrayOfHooks),
});

export const Root = Type.Object({
  path: FilePath,
  readonly: Type.Optional(Type.Boolean()),
});

// --- process -----------------------------------------------------------------

export const ConsoleSize = Type.Object({ height: Uint64, width: Uint64 });

export const User = Type.Object({
  uid: Type.Optional(Uint32),
  gid: Type.Optional(Uint32),
  umask: Type.Optional(Uint32),
  additionalGids: Type.Optional(Type.Array(Uint32)),
  username: Type.Optional(Str()),
});

export const Capabilities = Type.Object({
  bounding: Type.Optional(ArrayOfStrings),
  permitted: Type.Optional(ArrayOfStrings),
  effective: Type.Optional(ArrayOfStrings),
  inheritable: Type.Optional(ArrayOfStrings),
  ambient: Type.Optional(ArrayOfStrings),
});

export const IOPriority = Type.Object({
  class: StringEnum(['IOPRIO_CLASS_RT', 'IOPRIO_CLASS_BE', 'IOPRIO_CLASS_IDLE']),
  priority: Type.Optional(Int32),
});

export const SchedulerPolicy = StringEnum([
  'SCHED_OTHER', 'SCHED_FIFO', 'SCHED_RR', 'SCHED_BATCH', 'SCHED_ISO', 'SCHED_IDLE', 'SCHED_DEADLINE',
]);
export const SchedulerFlag = StringEnum([
  'SCHED_FLAG_RESET_ON_FORK', 'SCHED_FLAG_RECLAIM', 'SCHED_FLAG_DL_OVERRUN', 'SCHED_FLAG_KEEP_POLICY',
  'SCHED_FLAG_KEEP_PARAMS', 'SCHED_FLAG_UTIL_CLAMP_MIN', 'SCHED_FLAG_UTIL_CLAMP_MAX',
]);
export const Scheduler = Type.Object({
  policy: SchedulerPolicy,
  nice: Type.Optional(Int32),
  priority: Type.Optional(Int32),
  flags: Type.Optional(Type.Array(SchedulerFlag)),
  runtime: Type.Optional(Uint64),
  deadline: Type.Optional(Uint64),
  period: Type.Optional(Uint64),
});

export const Rlimit = Type.Object({
  type: Pattern('^RLIMIT_[A-Z]+$', 'an RLIMIT_* name such as "RLIMIT_NOFILE"'),
  soft: Uint64,
  hard: Uint64,
});

const CpuList = Pattern('^[0-9, -]*$', 'a CPU list such as "0-3,7"');
export const ExecCPUAffinity = Type.Object({
  initial: Type.Optional(CpuList),
  final: Type.Optional(CpuList),
});

export const Process = Type.Object({
  // config.md: "This value MUST be an absolute path" (a Linux one: tsrun runs on Linux).
  cwd: Pattern('^/[^\\u0000]*$', 'an absolute path inside the container, such as "/" or "/srv"'),
  // Prose: "at least one entry is REQUIRED" (the official schema omits minItems).
  args: Type.Optional(Type.Array(Str(), { minItems: 1 })),
  commandLine: Type.Optional(Str()),
  consoleSize: Type.Optional(ConsoleSize),
  env: Type.Optional(Environ),
  terminal: Type.Optional(Type.Boolean()),
  user: Type.Optional(User),
  capabilities: Type.Optional(Capabilities),
  apparmorProfile: Type.Optional(Str()),
  oomScoreAdj: Type.Optional(Type.Integer()),
  selinuxLabel: Type.Optional(Str()),
  ioPriority: Type.Optional(IOPriority),
  noNewPrivileges: Type.Optional(Type.Boolean()),
  scheduler: Type.Optional(Scheduler),
  rlimits: Type.Optional(Type.Array(Rlimit)),
  execCPUAffinity: Type.Optional(ExecCPUAffinity),
});

// --- linux (config-linux.md / defs-linux.json) ------------------------------------

export const NamespaceType = StringEnum(['mount', 'pid', 'network', 'uts', 'ipc', 'user', 'cgroup', 'time']);
export const LinuxNamespace = Type.Object({
  type: NamespaceType,
  path: Type.Optional(FilePath),
});

export const Device = Type.Object({
  type: Pattern('^[cbup]$', 'one of "c", "b", "u" or "p"'),
  path: FilePath,
  fileMode: Type.Optional(FileMode),
  major: Type.Optional(Int64),
  minor: Type.Optional(Int64),
  uid: Type.Optional(Uint32),
  gid: Type.Optional(Uint32),
});

export const NetDevice = Type.Object({ name: Type.Optional(Str()) });

export const DeviceCgroup = Type.Object({
  allow: Type.Boolean(),
  type: Type.Optional(Str()),
  major: Type.Optional(Int64),
  minor: Type.Optional(Int64),
  access: Type.Optional(Str()),
});

// Official: allOf(blockIODevice, {...}); flattened here, same constraints.
export const BlockIODeviceWeight = Type.Object({
  major: Int64,
  minor: Int64,
  weight: Type.Optional(Uint16),
  leafWeight: Type.Optional(Uint16),
});
export const BlockIODeviceThrottle = Type.Object({
  major: Int64,
  minor: Int64,
  rate: Type.Optional(Uint64),
});
export const BlockIO = Type.Object({
  weight: Type.Optional(Uint16),
  leafWeight: Type.Optional(Uint16),
  weightDevice: Type.Optional(Type.Array(BlockIODeviceWeight)),
  throttleReadBpsDevice: Type.Optional(Type.Array(BlockIODeviceThrottle)),
  throttleWriteBpsDevice: Type.Optional(Type.Array(BlockIODeviceThrottle)),
  throttleReadIOPSDevice: Type.Optional(Type.Array(BlockIODeviceThrottle)),
  throttleWriteIOPSDevice: Type.Optional(Type.Array(BlockIODeviceThrottle)),
});

export const Cpu = Type.Object({
  cpus: Type.Optional(Str()),
  mems: Type.Optional(Str()),
  period: Type.Optional(Uint64),
  quota: Type.Optional(Int64),
  burst: Type.Optional(Uint64),
  realtimePeriod: Type.Optional(Uint64),
  realtimeRuntime: Type.Optional(Int64),
  shares: Type.Optional(Uint64),
  idle: Type.Optional(Int64),
});

export const Memory = Type.Object({
  limit: Type.Optional(Int64),
  reservation: Type.Optional(Int64),
  swap: Type.Optional(Int64),
  kernel: Type.Optional(Int64),
  kernelTCP: Type.Optional(Int64),
  swappiness: Type.Optional(Uint64),
  disableOOMKiller: Type.Optional(Type.Boolean()),
  useHierarchy: Type.Optional(Type.Boolean()),
  checkBeforeUpdate: Type.Optional(Type.Boolean()),
});

export const HugepageLimit = Type.Object({
  pageSize: Pattern('^[1-9][0-9]*[KMG]B$', 'a page size such as "2MB" or "64KB"'),
  limit: Uint64,
});

export const NetworkInterfacePriority = Type.Object({ name: Str(), priority: Uint32 });
export const Network = Type.Object({
  classID: Type.Optional(Uint32),
  priorities: Type.Optional(Type.Array(NetworkInterfacePriority)),
});

export const Pids = Type.Object({ limit: Int64 });
export const Rdma = Type.Object({
  hcaHandles: Type.Optional(Uint32),
  hcaObjects: Type.Optional(Uint32),
});

export const Resources = Type.Object({
  devices: Type.Optional(Type.Array(DeviceCgroup)),
  memory: Type.Optional(Memory),
  cpu: Type.Optional(Cpu),
  blockIO: Type.Optional(BlockIO),
  hugepageLimits: Type.Optional(Type.Array(HugepageLimit)),
  network: Type.Optional(Network),
  pids: Type.Optional(Pids),
  rdma: Type.Optional(StringMap(Rdma)),
  unified: Type.Optional(MapStringString),
});

export const SeccompAction = StringEnum([
  'SCMP_ACT_KILL', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_TRAP', 'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE', 'SCMP_ACT_ALLOW', 'SCMP_ACT_LOG', 'SCMP_ACT_NOTIFY',
]);
export const SeccompArch = StringEnum(SECCOMP_ARCHES);
export const SeccompFlag = StringEnum([
  'SECCOMP_FILTER_FLAG_TSYNC', 'SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
  'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV',
]);
export const SeccompOperator = StringEnum([
  'SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ',
]);

export const SyscallArg = Type.Object({
  index: Uint32,
  value: Uint64,
  valueTwo: Type.Optional(Uint64),
  op: SeccompOperator,
});
export const Syscall = Type.Object({
  names: Type.Array(Str(), { minItems: 1 }),
  action: SeccompAction,
  errnoRet: Type.Optional(Uint32),
  args: Type.Optional(Type.Array(SyscallArg)),
});
export const Seccomp = Type.Object({
  defaultAction: SeccompAction,
  defaultErrnoRet: Type.Optional(Uint32),
  flags: Type.Optional(Type.Array(SeccompFlag)),
  listenerPath: Type.Optional(Str()),
  // Passed on as it is, in JSON, to the listener: it may hold anything.
  listenerMetadata: Type.Optional(Type.String()),
  architectures: Type.Optional(Type.Array(SeccompArch)),
  syscalls: Type.Optional(Type.Array(Syscall)),
});

export const IntelRdt = Type.Object({
  closID: Type.Optional(Str()),
  schemata: Type.Optional(ArrayOfStrings),
  l3CacheSchema: Type.Optional(Str()),
  memBwSchema: Type.Optional(Pattern('^MB:[^\\n\\u0000]*$', 'a single line starting with "MB:"')),
  enableMonitoring: Type.Optional(Type.Boolean()),
});

export const MemoryPolicy = Type.Object({
  mode: Type.Optional(StringEnum([
    'MPOL_DEFAULT', 'MPOL_BIND', 'MPOL_INTERLEAVE', 'MPOL_WEIGHTED_INTERLEAVE', 'MPOL_PREFERRED',
    'MPOL_PREFERRED_MANY', 'MPOL_LOCAL',
  ])),
  nodes: Type.Optional(Str()),
  flags: Type.Optional(Type.Array(StringEnum(['MPOL_F_NUMA_BALANCING', 'MPOL_F_RELATIVE_NODES', 'MPOL_F_STATIC_NODES']))),
});

export const Personality = Type.Object({
  domain: Type.Optional(StringEnum(['LINUX', 'LINUX32'])),
  flags: Type.Optional(ArrayOfStrings),
});

export const TimeOffset = Type.Object({
  secs: Type.Optional(Int64),
  nanosecs: Type.Optional(Uint32),
});

export const Linux = Type.Object({
  namespaces: Type.Optional(Type.Array(LinuxNamespace)),
  uidMappings: Type.Optional(Type.Array(IdMapping)),
  gidMappings: Type.Optional(Type.Array(IdMapping)),
  timeOffsets: Type.Optional(Type.Object({
    boottime: Type.Optional(TimeOffset),
    monotonic: Type.Optional(TimeOffset),
  })),
  devices: Type.Optional(Type.Array(Device)),
  netDevices: Type.Optional(StringMap(NetDevice)),
  cgroupsPath: Type.Optional(Str()),
  resources: Type.Optional(Resources),
  rootfsPropagation: Type.Optional(StringEnum(['private', 'shared', 'slave', 'unbindable'])),
  seccomp: Type.Optional(Seccomp),
  sysctl: Type.Optional(MapStringString),
  maskedPaths: Type.Optional(ArrayOfStrings),
  readonlyPaths: Type.Optional(ArrayOfStrings),
  mountLabel: Type.Optional(Str()),
  intelRdt: Type.Optional(IntelRdt),
  memoryPolicy: Type.Optional(MemoryPolicy),
  personality: Type.Optional(Personality),
});

// --- other platforms (described for validation only; tsrun runs on Linux) ----------

export const Windows = Type.Object({
  layerFolders: Type.Array(FilePath, { minItems: 1 }),
  devices: Type.Optional(Type.Array(Type.Object({ id: Str(), idType: StringEnum(['class']) }))),
  resources: Type.Optional(Type.Object({
    memory: Type.Optional(Type.Object({ limit: Type.Optional(Uint64) })),
    cpu: Type.Optional(Type.Object({
      count: Type.Optional(Uint64),
      shares: Type.Optional(Uint16),
      maximum: Type.Optional(Uint16),
      affinity: Type.Optional(Type.Object({ mask: Type.Optional(Uint64), group: Type.Optional(Uint32) })),
    })),
    storage: Type.Optional(Type.Object({
      iops: Type.Optional(Uint64),
      bps: Type.Optional(Uint64),
      sandboxSize: Type.Optional(Uint64),
    })),
  })),
  network: Type.Optional(Type.Object({
    endpointList: Type.Optional(ArrayOfStrings),
    allowUnqualifiedDNSQuery: Type.Optional(Type.Boolean()),
    DNSSearchList: Type.Optional(ArrayOfStrings),
    networkSharedContainerName: Type.Optional(Str()),
    networkNamespace: Type.Optional(Str()),
  })),
  credentialSpec: Type.Optional(Type.Unsafe<Record<string, unknown>>({ type: 'object' })),
  servicing: Type.Optional(Type.Boolean()),
  ignoreFlushesDuringBoot: Type.Optional(Type.Boolean()),
  hyperv: Type.Optional(Type.Object({ utilityVMPath: Type.Optional(Str()) })),
});

const OptString = Type.Optional(Str());
export const Solaris = Type.Object({
  milestone: OptString,
  limitpriv: OptString,
  maxShmMemory: OptString,
  cappedCPU: Type.Optional(Type.Object({ ncpus: OptString })),
  cappedMemory: Type.Optional(Type.Object({ physical: OptString, swap: OptString })),
  anet: Type.Optional(Type.Array(Type.Object({
    linkname: OptString,
    lowerLink: OptString,
    allowedAddress: OptString,
    configureAllowedAddress: OptString,
    defrouter: OptString,
    macAddress: OptString,
    linkProtection: OptString,
  }))),
});

export const VM = Type.Object({
  hypervisor: Type.Optional(Type.Object({ path: FilePath, parameters: Type.Optional(ArrayOfStrings) })),
  kernel: Type.Object({
    path: FilePath,
    parameters: Type.Optional(ArrayOfStrings),
    initrd: Type.Optional(FilePath),
  }),
  image: Type.Optional(Type.Object({
    path: FilePath,
    format: StringEnum(['raw', 'qcow2', 'vdi', 'vmdk', 'vhd']),
  })),
  hwConfig: Type.Optional(Type.Object({
    deviceTree: Type.Optional(FilePath),
    vcpus: Type.Optional(Uint32),
    memory: Type.Optional(Uint64),
    dtdevs: Type.Optional(ArrayOfStrings),
    // Official uses tuple-form `items: [X]` (checks only the first entry); every entry is meant.
    iomems: Type.Optional(Type.Array(Type.Object({
      firstGFN: Type.Optional(Uint64),
      firstMFN: Uint64,
      nrMFNs: Uint64,
    }))),
    irqs: Type.Optional(Type.Array(Uint32)),
  })),
});

export const ZOS = Type.Object({
  namespaces: Type.Optional(Type.Array(Type.Object({
    type: StringEnum(['mount', 'pid', 'uts', 'ipc']),
    path: Type.Optional(FilePath),
  }))),
});

const SharingMode = StringEnum(['disable', 'new', 'inherit']);
const SharingModeNoDisable = StringEnum(['new', 'inherit']);
export const FreeBSD = Type.Object({
  devices: Type.Optional(Type.Array(Type.Object({ path: OptString, mode: Type.Optional(FileMode) }))),
  jail: Type.Optional(Type.Object({
    parent: OptString,
    host: Type.Optional(SharingModeNoDisable),
    ip4: Type.Optional(SharingMode),
    ip4Addr: Type.Optional(ArrayOfStrings),
    ip6: Type.Optional(SharingMode),
    ip6Addr: Type.Optional(ArrayOfStrings),
    vnet: Type.Optional(SharingModeNoDisable),
    interface: OptString,
    vnetInterfaces: Type.Optional(ArrayOfStrings),
    sysvmsg: Type.Optional(SharingMode),
    sysvsem: Type.Optional(SharingMode),
    sysvshm: Type.Optional(SharingMode),
    enforceStatfs: Type.Optional(Uint8),
    allow: Type.Optional(Type.Object({
      setHostname: Type.Optional(Type.Boolean()),
      rawSockets: Type.Optional(Type.Boolean()),
      chflags: Type.Optional(Type.Boolean()),
      mount: Type.Optional(ArrayOfStrings),
      quotas: Type.Optional(Type.Boolean()),
      socketAf: Type.Optional(Type.Boolean()),
      mlock: Type.Optional(Type.Boolean()),
      reservedPorts: Type.Optional(Type.Boolean()),
      suser: Type.Optional(Type.Boolean()),
    })),
  })),
});

// --- the document -------------------------------------------------------------

export const ConfigSchema = Type.Object({
  ociVersion: OciVersion,
  root: Type.Optional(Root),
  mounts: Type.Optional(Type.Array(Mount)),
  process: Type.Optional(Process),
  hostname: Type.Optional(Str()),
  domainname: Type.Optional(Str()),
  hooks: Type.Optional(Hooks),
  annotations: Type.Optional(Annotations),
  linux: Type.Optional(Linux),
  solaris: Type.Optional(Solaris),
  windows: Type.Optional(Windows),
  vm: Type.Optional(VM),
  zos: Type.Optional(ZOS),
  freebsd: Type.Optional(FreeBSD),
}, { description: 'OCI runtime-spec v1.3 container configuration (config.json)' });
