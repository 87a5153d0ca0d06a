#include "masks.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "channel.h"
#include "mounts.h"
#include "paths.h"

namespace tsrun {
namespace init {
namespace {

struct FdPath {
  char s[32];
  explicit FdPath(int fd) { snprintf(s, sizeof s, "/proc/self/fd/%d", fd); }
};

// The path inside the container (we are past pivot_root). A symlink is
// followed, as runc's mount over the path does, so what it points to is
// protected and not the link itself; RESOLVE_IN_ROOT keeps a link that points
// out of the rootfs (../../etc/hostname) inside it. -1 when it does not exist.
int open_existing(int rootfd, const char *path, const char *cfg) {
  int fd = open_in_root(rootfd, path, O_PATH);
  if (fd < 0 && errno != ENOENT && errno != ENOTDIR)
    fail("mount", errno, cfg, "cannot open %s: %s", path, errstr(errno));
  return fd;
}

void make_readonly(int rootfd, const char *path, const char *cfg) {
  int fd = open_existing(rootfd, path, cfg);
  if (fd < 0) return;
  FdPath target(fd);
  if (mount(target.s, target.s, nullptr, MS_BIND | MS_REC, nullptr) < 0)
    fail("mount", errno, cfg, "cannot bind %s onto itself: %s", path, errstr(errno));
  close(fd);
  // Reopen: the remount is of the new bind, not of what lay beneath it.
  fd = open_existing(rootfd, path, cfg);
  FdPath bound(fd);
  struct statvfs sv;
  unsigned long keep = fstatvfs(fd, &sv) == 0 ? locked_flags(sv) : 0;
  if (mount(nullptr, bound.s, nullptr, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC | keep, nullptr) < 0)
    fail("mount", errno, cfg, "cannot make %s read-only: %s", path, errstr(errno));
  close(fd);
}

// /dev/null as made by us: a character device 1:3, not a symlink or a file
// a process could have swapped in (the CVE-2025-31133 class).
int open_dev_null(int rootfd) {
  int fd = open_in_root(rootfd, "/dev/null", O_PATH | O_NOFOLLOW);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) < 0)
    fail("mount", errno, "/linux/maskedPaths", "cannot open /dev/null to mask files with: %s", errstr(errno));
  if (!S_ISCHR(st.st_mode) || major(st.st_rdev) != 1 || minor(st.st_rdev) != 3)
    fail("mount", EPERM, "/linux/maskedPaths", "/dev/null is not the null device (mode %o, device %u:%u); refusing to mask with it",
         st.st_mode, major(st.st_rdev), minor(st.st_rdev));
  return fd;
}

void mask(int rootfd, int *devnull, const char *path, const char *cfg) {
  int fd = open_existing(rootfd, path, cfg);
  if (fd < 0) return;
  struct stat st;
  if (fstat(fd, &st) < 0) fail("mount", errno, cfg, "cannot stat %s: %s", path, errstr(errno));
  FdPath target(fd);
  if (S_ISDIR(st.st_mode)) {
    if (mount("tmpfs", target.s, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0") < 0)
      fail("mount", errno, cfg, "cannot mask directory %s: %s", path, errstr(errno));
  } else {
    if (*devnull < 0) *devnull = open_dev_null(rootfd);
    FdPath source(*devnull);
    if (mount(source.s, target.s, nullptr, MS_BIND, nullptr) < 0)
      fail("mount", errno, cfg, "cannot mask %s with /dev/null: %s", path, errstr(errno));
  }
  close(fd);
}

}  // namespace

void apply_path_masks(const plan::CreatePlan &plan) {
  const plan::List<const char *> &ro = plan.readonly_paths;
  const plan::List<const char *> &masked = plan.masked_paths;
  if (!ro.count && !masked.count) return;
  int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) fail("open", errno, "", "cannot open /: %s", errstr(errno));
  char cfg[64];
  for (uint32_t i = 0; i < ro.count; i++) {
    snprintf(cfg, sizeof cfg, "/linux/readonlyPaths/%u", i);
    make_readonly(rootfd, ro[i], cfg);
  }
  int devnull = -1;
  for (uint32_t i = 0; i < masked.count; i++) {
    snprintf(cfg, sizeof cfg, "/linux/maskedPaths/%u", i);
    mask(rootfd, &devnull, masked[i], cfg);
  }
  if (devnull >= 0) close(devnull);
  close(rootfd);
}

}  // namespace init
}  // namespace tsrun
