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
#include "paths.h"

namespace tsrun {
namespace init {
namespace {

void apply_propagation(const char *target, const wire::Value *flags, const char *cfg) {
  for (uint32_t i = 0; i < wire::count(flags); i++) {
    unsigned long f = wire::at(flags, i)->num;
    if (mount(nullptr, target, nullptr, f, nullptr) < 0)
      fail("mount", errno, cfg, "cannot set propagation on %s: %s", target, errstr(errno));
  }
}

// The r* options: one mount_setattr over the whole new mount tree.
void apply_recursive_attrs(int fd, const wire::Value *m, const char *dest, const char *cfg) {
  struct mount_attr attr = {};
  attr.attr_set = static_cast<uint64_t>(wire::get_int(m, "recAttrSet"));
  attr.attr_clr = static_cast<uint64_t>(wire::get_int(m, "recAttrClr"));
  if (!attr.attr_set && !attr.attr_clr) return;
  if (syscall(SYS_mount_setattr, fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0)
    fail("mount_setattr", errno, cfg,
         errno == ENOSYS ? "recursive mount options (rro, rnosuid, ...) need mount_setattr, Linux 5.12+"
                         : "cannot apply the recursive options to %s: %s",
         dest, errstr(errno));
}

void mount_one(int rootfd, const wire::Value *m) {
  const char *cfg = wire::get_str(m, "configPath", "");
  const char *dest = wire::get_str(m, "destination", "");
  const char *source = wire::get_str(m, "source", "none");
  const char *type = wire::get_str(m, "type", "");
  const char *data = wire::get_str(m, "data", "");
  unsigned long flags = wire::get_int(m, "flags");
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

  if (bind) {
    if (mount(source, target, nullptr, flags & (MS_BIND | MS_REC), nullptr) < 0)
      fail("mount", errno, cfg, "bind %s on %s: %s", source, dest, errstr(errno));
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
  if (wire::count(wire::get(m, "propagation"))) apply_propagation(target, wire::get(m, "propagation"), cfg);
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

void mount_rootfs(const wire::Value *plan) {
  const char *rootfs = wire::get_str(plan, "rootfs", "");
  // Nothing we mount may propagate back to the host: make "/" slave (or what
  // linux.rootfsPropagation asks) before the first mount.
  unsigned long prop = wire::get_int(plan, "rootfsPropagation", MS_SLAVE | MS_REC);
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
  const wire::Value *mounts = wire::get(plan, "mounts");
  for (uint32_t i = 0; i < wire::count(mounts); i++) {
    const wire::Value *m = wire::at(mounts, i);
    mount_one(rootfd, m);
    // A mount on / (an overlay rootfs, say) is the rootfs from now on: later
    // mounts must land on it, not on the directory it covers.
    if (strcmp(wire::get_str(m, "destination", ""), "/") == 0) {
      close(rootfd);
      rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (rootfd < 0) fail("open", errno, wire::get_str(m, "configPath", ""), "cannot open the new rootfs: %s", errstr(errno));
    }
  }
  close(rootfd);
  // Nothing after this reads the mounts; 2,000 of them take ~2 MB decoded.
  wire::release(plan, "mounts");
}

void enter_rootfs(const wire::Value *plan) {
  const char *rootfs = wire::get_str(plan, "rootfs", "");
  if (chdir(rootfs) < 0) fail("chdir", errno, "/root/path", "cannot enter the rootfs %s: %s", rootfs, errstr(errno));
  if (wire::get_str(plan, "hostMountRecord")) {
    // No mount namespace: pivot_root would move the host's own /. The plan
    // refused a propagation change; root.readonly acts on our bind of the rootfs.
    if (chroot(".") < 0) fail("chroot", errno, "/root/path", "cannot chroot into %s: %s", rootfs, errstr(errno));
  } else if (wire::get_bool(plan, "noPivot")) {
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
  unsigned long prop = wire::get_int(plan, "rootfsPropagationAfter");
  if (prop && mount(nullptr, "/", nullptr, prop, nullptr) < 0)
    fail("mount", errno, "/linux/rootfsPropagation", "cannot set propagation of the container's /: %s", errstr(errno));

  if (wire::get_bool(plan, "readonlyRoot")) {
    // A bind remount keeps the flags it does not name only if we pass them again.
    struct statvfs sv;
    if (statvfs("/", &sv) < 0) fail("statvfs", errno, "/root/readonly", "%s", errstr(errno));
    if (mount(nullptr, "/", nullptr, MS_REMOUNT | MS_BIND | MS_RDONLY | locked_flags(sv), nullptr) < 0)
      fail("mount", errno, "/root/readonly", "cannot make the rootfs read-only: %s", errstr(errno));
  }
}

}  // namespace init
}  // namespace tsrun
