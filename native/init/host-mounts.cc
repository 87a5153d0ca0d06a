#include "host-mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../statx_mnt.h"
#include "channel.h"
#include "paths.h"

namespace tsrun {
namespace init {
namespace {

// mount(2) flags as what the new mount API takes: a per-mount attribute, or
// a superblock flag for fsconfig (new filesystems only; a bind shares its sb).
struct FlagMap {
  unsigned long ms;
  uint64_t attr;
  const char *sb_flag;
};
constexpr FlagMap kFlags[] = {
    {MS_RDONLY, MOUNT_ATTR_RDONLY, "ro"},          {MS_NOSUID, MOUNT_ATTR_NOSUID, nullptr},
    {MS_NODEV, MOUNT_ATTR_NODEV, nullptr},         {MS_NOEXEC, MOUNT_ATTR_NOEXEC, nullptr},
    {MS_NOATIME, MOUNT_ATTR_NOATIME, nullptr},     {MS_NODIRATIME, MOUNT_ATTR_NODIRATIME, nullptr},
    {MS_STRICTATIME, MOUNT_ATTR_STRICTATIME, nullptr}, {MS_RELATIME, MOUNT_ATTR_RELATIME, nullptr},
    {MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW, nullptr}, {MS_SYNCHRONOUS, 0, "sync"},
    {MS_DIRSYNC, 0, "dirsync"},                    {MS_LAZYTIME, 0, "lazytime"},
    {MS_MANDLOCK, 0, "mand"},                      {MS_SILENT, 0, nullptr},
    {MS_BIND, 0, nullptr},                         {MS_REC, 0, nullptr},
};

uint64_t attrs_of(unsigned long flags, const char *cfg) {
  uint64_t attr = 0;
  for (const FlagMap &f : kFlags)
    if (flags & f.ms) attr |= f.attr, flags &= ~f.ms;
  if (flags) fail("mount", EINVAL, cfg, "mount flags 0x%lx cannot be used without a mount namespace", flags);
  return attr;
}

// A new filesystem, detached: fsopen, its options one by one, fsmount.
int make_filesystem(const plan::MountPlan &m, const char *cfg) {
  const char *type = m.type;
  const char *source = m.source;
  unsigned long flags = static_cast<unsigned long>(m.flags);
  int fs = static_cast<int>(syscall(SYS_fsopen, type, FSOPEN_CLOEXEC));
  if (fs < 0) fail("fsopen", errno, cfg, "filesystem type %s: %s", type, errstr(errno));
  if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "source", source, 0) < 0)
    fail("fsconfig", errno, cfg, "mount %s (type %s): source: %s", source, type, errstr(errno));
  for (const FlagMap &f : kFlags)
    if ((flags & f.ms) && f.sb_flag && syscall(SYS_fsconfig, fs, FSCONFIG_SET_FLAG, f.sb_flag, nullptr, 0) < 0)
      fail("fsconfig", errno, cfg, "mount %s (type %s): %s: %s", source, type, f.sb_flag, errstr(errno));
  static char data[8192];
  snprintf(data, sizeof data, "%s", m.data);
  for (char *save = nullptr, *opt = strtok_r(data, ",", &save); opt; opt = strtok_r(nullptr, ",", &save)) {
    char *eq = strchr(opt, '=');
    if (eq) *eq = 0;
    long rc = eq ? syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, opt, eq + 1, 0)
                 : syscall(SYS_fsconfig, fs, FSCONFIG_SET_FLAG, opt, nullptr, 0);
    if (rc < 0) fail("fsconfig", errno, cfg, "mount %s (type %s): option %s: %s", source, type, opt, errstr(errno));
  }
  if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0)
    fail("fsconfig", errno, cfg, "mount %s (type %s): %s", source, type, errstr(errno));
  uint64_t attr = attrs_of(flags, cfg);
  int mnt = static_cast<int>(syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, static_cast<unsigned>(attr)));
  if (mnt < 0) fail("fsmount", errno, cfg, "mount %s (type %s): %s", source, type, errstr(errno));
  close(fs);
  return mnt;
}

// A bind (rbind) of a host path, detached: open_tree's clone, then its options on the top mount.
int make_bind(const plan::MountPlan &m, const char *cfg) {
  const char *source = m.source;
  unsigned long flags = static_cast<unsigned long>(m.flags);
  unsigned tree = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | ((flags & MS_REC) ? AT_RECURSIVE : 0);
  int mnt = static_cast<int>(syscall(SYS_open_tree, AT_FDCWD, source, tree));
  if (mnt < 0) fail("open_tree", errno, cfg, "bind source %s: %s", source, errstr(errno));
  struct mount_attr attr = {};
  attr.attr_set = attrs_of(flags, cfg);
  if (attr.attr_set & MOUNT_ATTR__ATIME) attr.attr_clr |= MOUNT_ATTR__ATIME;
  if ((attr.attr_set || attr.attr_clr) && syscall(SYS_mount_setattr, mnt, "", AT_EMPTY_PATH, &attr, sizeof attr) < 0)
    fail("mount_setattr", errno, cfg, "bind %s with its options: %s", source, errstr(errno));
  return mnt;
}

uint64_t mount_id(int fd, unsigned mask) {
  struct statx stx = {};
  if (statx(fd, "", AT_EMPTY_PATH, mask, &stx) < 0 || !(stx.stx_mask & mask)) return 0;
  return stx.stx_mnt_id;
}

// The line delete reads (host-mounts.ts): "<mount id> <unique id> <config path>".
void record(int record_fd, int mnt, const char *cfg) {
  uint64_t id = mount_id(mnt, STATX_MNT_ID);
  if (!id) fail("statx", errno ? errno : ENOSYS, cfg, "cannot read the id of a new mount (Linux 5.8+ is needed without a mount namespace)");
  char line[256];
  int len = snprintf(line, sizeof line, "%llu %llu %s\n", static_cast<unsigned long long>(id),
                     static_cast<unsigned long long>(mount_id(mnt, STATX_MNT_ID_UNIQUE)), cfg);
  if (write(record_fd, line, len) != len) fail("write", errno, cfg, "cannot record a mount in the state dir: %s", errstr(errno));
}

void apply_propagation(int mnt, const plan::List<int64_t> &flags, const char *cfg) {
  char target[64];
  snprintf(target, sizeof target, "/proc/self/fd/%d", mnt);
  for (int64_t f : flags)
    if (mount(nullptr, target, nullptr, static_cast<unsigned long>(f), nullptr) < 0)
      fail("mount", errno, cfg, "cannot set propagation: %s", errstr(errno));
}

}  // namespace

int open_host_mount_record(const plan::CreatePlan &plan) {
  const char *path = plan.host_mount_record;
  if (!path) return -1;
  int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) fail("open", errno, "/linux/namespaces", "cannot open the mount record %s: %s", path, errstr(errno));
  // Held until the last mount is attached (or we die): whoever undoes the
  // record (a sweep after a kill -9 of tsrun) waits, so none is attached after it read.
  if (flock(fd, LOCK_EX) < 0) fail("flock", errno, "/linux/namespaces", "cannot lock the mount record: %s", errstr(errno));
  return fd;
}

void mount_on_host(const plan::CreatePlan &plan, int record_fd) {
  const char *rootfs = plan.rootfs;
  int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) fail("open", errno, "/root/path", "cannot open the rootfs %s: %s", rootfs, errstr(errno));
  if (plan.readonly_root) {
    // root.readonly takes a mount of its own to make read-only (enter_rootfs
    // does, after the chroot): a bind of the rootfs on itself, recorded first.
    int mnt = static_cast<int>(syscall(SYS_open_tree, rootfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE | AT_EMPTY_PATH));
    if (mnt < 0) fail("open_tree", errno, "/root/readonly", "cannot bind the rootfs %s: %s", rootfs, errstr(errno));
    record(record_fd, mnt, "/root/readonly");
    if (syscall(SYS_move_mount, mnt, "", rootfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
      fail("move_mount", errno, "/root/readonly", "cannot bind the rootfs %s on itself: %s", rootfs, errstr(errno));
    close(mnt);
    close(rootfd);
    rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0) fail("open", errno, "/root/path", "cannot open the rootfs %s: %s", rootfs, errstr(errno));
  }
  for (const plan::MountPlan &m : plan.mounts) {
    const char *cfg = m.config_path;
    const char *dest = m.destination;
    bool bind = m.flags & MS_BIND;
    bool is_file = false;
    if (bind) {
      struct stat st;
      if (stat(m.source, &st) < 0) fail("mount", errno, cfg, "bind source %s: %s", m.source, errstr(errno));
      is_file = !S_ISDIR(st.st_mode);
    }
    int target = open_target(rootfd, dest, is_file, cfg);
    if (target < 0) fail("mount", errno, cfg, "cannot open destination %s inside the rootfs: %s", dest, errstr(errno));
    int mnt = bind ? make_bind(m, cfg) : make_filesystem(m, cfg);
    struct mount_attr rec = {};
    rec.attr_set = static_cast<uint64_t>(m.rec_attr_set);
    rec.attr_clr = static_cast<uint64_t>(m.rec_attr_clr);
    if ((rec.attr_set || rec.attr_clr) &&
        syscall(SYS_mount_setattr, mnt, "", AT_EMPTY_PATH | AT_RECURSIVE, &rec, sizeof rec) < 0)
      fail("mount_setattr", errno, cfg, "cannot apply the recursive options to %s: %s", dest, errstr(errno));
    // Recorded while still detached: were we killed before the move, the
    // mount would die with our fd; after it, the record names it.
    record(record_fd, mnt, cfg);
    if (syscall(SYS_move_mount, mnt, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
      fail("move_mount", errno, cfg, "cannot attach the mount on %s: %s", dest, errstr(errno));
    apply_propagation(mnt, m.propagation, cfg);
    close(mnt);
    close(target);
    // A mount on / is the rootfs from now on: later mounts land on it.
    if (strcmp(dest, "/") == 0) {
      close(rootfd);
      rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (rootfd < 0) fail("open", errno, cfg, "cannot open the new rootfs: %s", errstr(errno));
    }
  }
  close(rootfd);
  close(record_fd);
}

}  // namespace init
}  // namespace tsrun
