#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "channel.h"
#include "idmap.h"
#include "paths.h"

namespace tsrun {
namespace init {
namespace {

void apply_propagation(const char *target, const plan::List<int64_t> &flags, const char *cfg) {
  for (int64_t each : flags) {
    unsigned long f = static_cast<unsigned long>(each);
    if (mount(nullptr, target, nullptr, f, nullptr) < 0)
      fail("mount", errno, cfg, "cannot set propagation on %s: %s", target, errstr(errno));
  }
}

// The r* options: one mount_setattr over the whole new mount tree.
void apply_recursive_attrs(int fd, const plan::MountPlan &m, const char *dest, const char *cfg) {
  struct mount_attr attr = {};
  attr.attr_set = static_cast<uint64_t>(m.rec_attr_set);
  attr.attr_clr = static_cast<uint64_t>(m.rec_attr_clr);
  if (!attr.attr_set && !attr.attr_clr) return;
  if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
    fail("mount_setattr", errno, cfg,
         errno == ENOSYS ? "recursive mount options (rro, rnosuid, ...) need mount_setattr, Linux 5.12+"
                         : "cannot apply the recursive options to %s: %s",
         dest, errstr(errno));
}

void mount_one(int rootfd, const plan::MountPlan &m) {
  const char *cfg = m.config_path;
  const char *dest = m.destination;
  const char *source = m.source;
  const char *type = m.type;
  const char *data = m.data;
  unsigned long flags = static_cast<unsigned long>(m.flags);
  bool bind = flags & MS_BIND;

  bool is_file = false;
  if (bind) {
    struct stat st;
    if (stat(source, &st) < 0) fail("mount", errno, cfg, "bind source %s: %s", source, errstr(errno));
    is_file = !S_ISDIR(st.st_mode);
  }
  int fd = open_target(rootfd, dest, is_file, cfg);
  if (fd < 0) fail("mount", errno, cfg, "cannot open destination %s inside the rootfs: %s", dest, errstr(errno));
  char target[64];
  snprintf(target, sizeof target, "/proc/self/fd/%d", fd);

  int idmapped = bind ? idmapped_mount_fd(m) : -1;
  if (idmapped >= 0) {
    // Made by stage 0 (idmap.cc): attach it here instead of binding the source.
    if (syscall(SYS_move_mount, idmapped, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
      fail("move_mount", errno, cfg, "cannot attach the idmapped %s on %s: %s", source, dest, errstr(errno));
    close(idmapped);
  } else if (bind && mount(source, target, nullptr, flags & (MS_BIND | MS_REC), nullptr) < 0) {
    fail("mount", errno, cfg, "bind %s on %s: %s", source, dest, errstr(errno));
  }
  if (bind) {
    // A bind mount ignores its other flags: they take a remount.
    unsigned long rest = flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
    if (rest) {
      close(fd);
      fd = open_target(rootfd, dest, is_file, cfg);  // the new mount, not the one beneath it
      snprintf(target, sizeof target, "/proc/self/fd/%d", fd);
      if (mount(nullptr, target, nullptr, rest | MS_BIND | MS_REMOUNT, nullptr) < 0)
        fail("mount", errno, cfg, "remount %s with its options: %s", dest, errstr(errno));
    }
  } else if (mount(source, target, type, flags, data) < 0) {
    fail("mount", errno, cfg, "mount %s (type %s) on %s: %s", source, type, dest, errstr(errno));
  }
  // What follows acts on the new mount, not on the one it covers: reopen.
  close(fd);
  fd = open_target(rootfd, dest, is_file, cfg);
  if (fd < 0) fail("mount", errno, cfg, "cannot reopen %s after mounting: %s", dest, errstr(errno));
  snprintf(target, sizeof target, "/proc/self/fd/%d", fd);
  apply_recursive_attrs(fd, m, dest, cfg);
  apply_propagation(target, m.propagation, cfg);
  close(fd);
}

// The longest mount point in /proc/self/mountinfo that contains path.
void make_parent_private(const char *path) {
  FILE *f = fopen("/proc/self/mountinfo", "re");
  if (!f) fail("open", errno, "/root/path", "cannot read /proc/self/mountinfo: %s", errstr(errno));
  static char line[8192], best[4096], mp[4096];
  best[0] = 0;
  size_t plen = strlen(path);
  while (fgets(line, sizeof line, f)) {
    // Field 5 is the mount point, with space, tab, newline and backslash octal-escaped.
    char *p = line;
    for (int field = 1; field < 5 && p; field++) p = strchr(p, ' '), p = p ? p + 1 : nullptr;
    if (!p) continue;
    size_t n = 0;
    for (; *p && *p != ' ' && n + 1 < sizeof mp; p++) {
      if (p[0] == '\\' && p[1] >= '0' && p[1] <= '7' && p[2] && p[3]) {
        mp[n++] = static_cast<char>((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
        p += 3;
      } else {
        mp[n++] = *p;
      }
    }
    mp[n] = 0;
    bool contains = strcmp(mp, "/") == 0 ||
                    (strncmp(path, mp, n) == 0 && (path[n] == '/' || path[n] == 0) && n <= plen);
    if (contains && n >= strlen(best)) snprintf(best, sizeof best, "%s", mp);
  }
  fclose(f);
  if (best[0] && mount(nullptr, best, nullptr, MS_PRIVATE, nullptr) < 0)
    fail("mount", errno, "/root/path", "cannot make %s, the mount the rootfs is on, private: %s", best, errstr(errno));
}

}  // namespace

unsigned long locked_flags(const struct statvfs &sv) {
  unsigned long keep = 0;
  if (sv.f_flag & ST_NOSUID) keep |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV) keep |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC) keep |= MS_NOEXEC;
  return keep;
}

void mount_rootfs(const plan::CreatePlan &plan) {
  const char *rootfs = plan.rootfs;
  // Nothing we mount may propagate back to the host: make "/" slave (or what
  // linux.rootfsPropagation asks) before the first mount.
  unsigned long prop = static_cast<unsigned long>(plan.rootfs_propagation);
  if (mount(nullptr, "/", nullptr, prop, nullptr) < 0)
    fail("mount", errno, "/linux/rootfsPropagation", "cannot set propagation of /: %s", errstr(errno));
  // The mount the rootfs sits on goes private, so the rootfs bind below is not
  // a peer of the host's mount even when / was made shared.
  make_parent_private(rootfs);
  // pivot_root needs the rootfs to be a mount point.
  if (mount(rootfs, rootfs, nullptr, MS_BIND | MS_REC, nullptr) < 0)
    fail("mount", errno, "/root/path", "cannot bind-mount the rootfs %s: %s", rootfs, errstr(errno));

  int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) fail("open", errno, "/root/path", "cannot open the rootfs %s: %s", rootfs, errstr(errno));
  for (const plan::MountPlan &m : plan.mounts) {
    mount_one(rootfd, m);
    // A mount on / (an overlay rootfs, say) is the rootfs from now on: later
    // mounts must land on it, not on the directory it covers.
    if (strcmp(m.destination, "/") == 0) {
      close(rootfd);
      rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (rootfd < 0) fail("open", errno, m.config_path, "cannot open the new rootfs: %s", errstr(errno));
    }
  }
  close(rootfd);
}

void enter_rootfs(const plan::CreatePlan &plan) {
  const char *rootfs = plan.rootfs;
  if (chdir(rootfs) < 0) fail("chdir", errno, "/root/path", "cannot enter the rootfs %s: %s", rootfs, errstr(errno));
  if (plan.host_mount_record) {
    // No mount namespace: pivot_root would move the host's own /. The plan
    // refused a propagation change; root.readonly acts on our bind of the rootfs.
    if (chroot(".") < 0) fail("chroot", errno, "/root/path", "cannot chroot into %s: %s", rootfs, errstr(errno));
  } else if (plan.no_pivot) {
    if (mount(rootfs, "/", nullptr, MS_MOVE, nullptr) < 0)
      fail("mount", errno, "/root/path", "cannot move the rootfs to /: %s", errstr(errno));
    if (chroot(".") < 0) fail("chroot", errno, "/root/path", "%s", errstr(errno));
  } else {
    // pivot_root(".", ".") stacks the old root on top of the new one; detach it.
    int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
    if (oldroot < 0) fail("open", errno, "", "cannot open /: %s", errstr(errno));
    if (syscall(SYS_pivot_root, ".", ".") < 0)
      fail("pivot_root", errno, "/root/path", "cannot pivot_root into %s: %s", rootfs, errstr(errno));
    if (fchdir(oldroot) < 0) fail("fchdir", errno, "", "%s", errstr(errno));
    // Slave first, so the unmount does not propagate to the host's mounts.
    if (mount(nullptr, ".", nullptr, MS_SLAVE | MS_REC, nullptr) < 0)
      fail("mount", errno, "", "cannot make the old root slave: %s", errstr(errno));
    if (umount2(".", MNT_DETACH) < 0) fail("umount", errno, "", "cannot detach the old root: %s", errstr(errno));
    close(oldroot);
  }
  if (chdir("/") < 0) fail("chdir", errno, "", "%s", errstr(errno));
  // The container's own / gets the asked propagation: a fresh peer group for shared.
  unsigned long prop = static_cast<unsigned long>(plan.rootfs_propagation_after);
  if (prop && mount(nullptr, "/", nullptr, prop, nullptr) < 0)
    fail("mount", errno, "/linux/rootfsPropagation", "cannot set propagation of the container's /: %s", errstr(errno));

  if (plan.readonly_root) {
    // A bind remount keeps the flags it does not name only if we pass them again.
    struct statvfs sv;
    if (statvfs("/", &sv) < 0) fail("statvfs", errno, "/root/readonly", "%s", errstr(errno));
    if (mount(nullptr, "/", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | locked_flags(sv), nullptr) < 0)
      fail("mount", errno, "/root/readonly", "cannot make the rootfs read-only: %s", errstr(errno));
  }
}

}  // namespace init
}  // namespace tsrun
