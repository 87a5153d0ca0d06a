#include "devices.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "channel.h"
#include "paths.h"

namespace tsrun {
namespace init {
namespace {

// Splits "/dev/x/y" into the parent "/dev/x" (opened inside root) and "y".
int open_parent(int rootfd, const char *path, const char **name, const char *cfg) {
  static char dir[4096];
  snprintf(dir, sizeof dir, "%s", path);
  char *slash = strrchr(dir, '/');
  if (!slash || !slash[1]) fail("mknod", EINVAL, cfg, "bad device path %s", path);
  *name = path + (slash - dir) + 1;
  if (slash == dir) slash[1] = 0; else *slash = 0;
  int fd = open_target(rootfd, dir, false, cfg);
  if (fd < 0) fail("mknod", errno, cfg, "cannot open %s inside the rootfs: %s", dir, errstr(errno));
  return fd;
}

void bind_host_node(int rootfd, int dirfd, const char *name, const char *path, const char *cfg) {
  int f = openat(dirfd, name, O_CREAT | O_WRONLY | O_CLOEXEC, 0);
  if (f < 0) fail("mknod", errno, cfg, "cannot create %s for a bind mount: %s", path, errstr(errno));
  close(f);
  int target = open_target(rootfd, path, true, cfg);
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", target);
  if (mount(path, proc, nullptr, MS_BIND, nullptr) < 0)
    fail("mount", errno, cfg, "cannot bind the host's %s: %s", path, errstr(errno));
  close(target);
}

// bind: in or into a user namespace, where mknod is not allowed (a 0:0 char
// device would even be made, as a whiteout): the host's node is bound, as runc does.
void make_node(int rootfd, const plan::DevicePlan &d, bool bind) {
  const char *cfg = d.config_path;
  const char *path = d.path;
  mode_t kind = d.type[0] == 'b' ? S_IFBLK : d.type[0] == 'p' ? S_IFIFO : S_IFCHR;
  mode_t perm = static_cast<mode_t>(d.file_mode) & 07777;
  dev_t dev = makedev(d.major, d.minor);
  const char *name;
  int dirfd = open_parent(rootfd, path, &name, cfg);
  if (bind) {
    struct stat st;
    // The rootfs brought its own node: keep it, as runc does.
    if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
      close(dirfd);
      return;
    }
    bind_host_node(rootfd, dirfd, name, path, cfg);
  } else if (mknodat(dirfd, name, kind | perm, dev) < 0) {
    if (errno == EEXIST) {
      close(dirfd);
      return;  // the rootfs brought its own node: keep it, as runc does
    }
    if (errno != EPERM) fail("mknod", errno, cfg, "mknod %s: %s", path, errstr(errno));
    // Without CAP_MKNOD otherwise (a capability set that lacks it), bind the host's node instead.
    bind_host_node(rootfd, dirfd, name, path, cfg);
  } else if (fchmodat(dirfd, name, perm, 0) < 0 ||
             fchownat(dirfd, name, static_cast<uid_t>(d.uid), static_cast<gid_t>(d.gid), AT_SYMLINK_NOFOLLOW) < 0) {
    fail("mknod", errno, cfg, "cannot set the owner and mode of %s: %s", path, errstr(errno));
  }
  close(dirfd);
}

}  // namespace

void make_devices(const plan::CreatePlan &plan) {
  int rootfd = open(plan.rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) fail("open", errno, "/root/path", "cannot open the rootfs: %s", errstr(errno));
  for (const plan::DevicePlan &d : plan.devices) make_node(rootfd, d, plan.bind_devices);
  for (const plan::DevSymlink &l : plan.dev_symlinks) {
    const char *path = l.path;
    const char *name;
    int dirfd = open_parent(rootfd, path, &name, "/linux/devices");
    // /dev/ptmx may exist as a node: the link to pts/ptmx replaces it.
    if (l.replace) unlinkat(dirfd, name, 0);
    if (symlinkat(l.target, dirfd, name) < 0 && errno != EEXIST)
      fail("symlink", errno, "", "cannot link %s: %s", path, errstr(errno));
    close(dirfd);
  }
  close(rootfd);
}

}  // namespace init
}  // namespace tsrun
