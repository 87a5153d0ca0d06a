// Kernel ABI numbers the planner needs (from <sys/mount.h>). tsrun-init
// receives flags as plain integers, so this is the one place they are spelled.
export const MS = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  SYNCHRONOUS: 0x10,
  REMOUNT: 0x20,
  MANDLOCK: 0x40,
  DIRSYNC: 0x80,
  NOSYMFOLLOW: 0x100,
  NOATIME: 0x400,
  NODIRATIME: 0x800,
  BIND: 0x1000,
  MOVE: 0x2000,
  REC: 0x4000,
  SILENT: 0x8000,
  UNBINDABLE: 0x20000,
  PRIVATE: 0x40000,
  SLAVE: 0x80000,
  SHARED: 0x100000,
  RELATIME: 0x200000,
  STRICTATIME: 0x1000000,
  LAZYTIME: 0x2000000,
} as const;

// The CLONE_NEW* bit of each namespace type the spec names (<linux/sched.h>):
// tsrun-init unshares, clones and setns()es with these.
export const NS_CLONE_FLAGS: Record<string, number> = {
  pid: 0x20000000, network: 0x40000000, mount: 0x00020000, ipc: 0x08000000,
  uts: 0x04000000, user: 0x10000000, cgroup: 0x02000000, time: 0x00000080,
};

// mount_setattr(2) attributes (<linux/mount.h>), for the recursive options (rro, rnosuid, …).
export const MOUNT_ATTR = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  ATIME_MASK: 0x70,
  RELATIME: 0x0,
  NOATIME: 0x10,
  STRICTATIME: 0x20,
  NODIRATIME: 0x80,
  NOSYMFOLLOW: 0x200000,
} as const;
