// TS types for config.json, derived from the TypeBox schema so they cannot drift from validation.
import type { Static } from '@sinclair/typebox';
import type * as S from './schema.js';

export type Config = Static<typeof S.ConfigSchema>;

export type Root = Static<typeof S.Root>;
export type Mount = Static<typeof S.Mount>;
export type IdMapping = Static<typeof S.IdMapping>;
export type Hook = Static<typeof S.Hook>;
export type Hooks = Static<typeof S.Hooks>;
export type HookName = keyof Hooks;

export type Process = Static<typeof S.Process>;
export type ConsoleSize = Static<typeof S.ConsoleSize>;
export type User = Static<typeof S.User>;
export type Capabilities = Static<typeof S.Capabilities>;
export type CapabilitySet = keyof Capabilities;
export type IOPriority = Static<typeof S.IOPriority>;
export type Scheduler = Static<typeof S.Scheduler>;
export type SchedulerPolicy = Static<typeof S.SchedulerPolicy>;
export type SchedulerFlag = Static<typeof S.SchedulerFlag>;
export type Rlimit = Static<typeof S.Rlimit>;
export type ExecCPUAffinity = Static<typeof S.ExecCPUAffinity>;

export type Linux = Static<typeof S.Linux>;
export type NamespaceType = Static<typeof S.NamespaceType>;
export type LinuxNamespace = Static<typeof S.LinuxNamespace>;
export type Device = Static<typeof S.Device>;
export type NetDevice = Static<typeof S.NetDevice>;
export type Resources = Static<typeof S.Resources>;
export type DeviceCgroup = Static<typeof S.DeviceCgroup>;
export type Memory = Static<typeof S.Memory>;
export type Cpu = Static<typeof S.Cpu>;
export type Pids = Static<typeof S.Pids>;
export type BlockIO = Static<typeof S.BlockIO>;
export type BlockIODeviceWeight = Static<typeof S.BlockIODeviceWeight>;
export type BlockIODeviceThrottle = Static<typeof S.BlockIODeviceThrottle>;
export type HugepageLimit = Static<typeof S.HugepageLimit>;
export type Network = Static<typeof S.Network>;
export type Rdma = Static<typeof S.Rdma>;
export type Seccomp = Static<typeof S.Seccomp>;
export type SeccompAction = Static<typeof S.SeccompAction>;
export type SeccompArch = Static<typeof S.SeccompArch>;
export type SeccompFlag = Static<typeof S.SeccompFlag>;
export type SeccompOperator = Static<typeof S.SeccompOperator>;
export type Syscall = Static<typeof S.Syscall>;
export type SyscallArg = Static<typeof S.SyscallArg>;
export type IntelRdt = Static<typeof S.IntelRdt>;
export type MemoryPolicy = Static<typeof S.MemoryPolicy>;
export type Personality = Static<typeof S.Personality>;
export type TimeOffset = Static<typeof S.TimeOffset>;

export type Windows = Static<typeof S.Windows>;
export type Solaris = Static<typeof S.Solaris>;
export type VM = Static<typeof S.VM>;
export type ZOS = Static<typeof S.ZOS>;
export type FreeBSD = Static<typeof S.FreeBSD>;
