#include "paths.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "channel.h"

namespace tsrun {
namespace init {

int open_in_root(int rootfd, const char *path, int flags) {
  struct open_how how = {};
  how.flags = flags | O_CLOEXEC;
  how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
  for (;;) {
    int fd = syscall(SYS_openat2, rootfd, path, &how, sizeof how);
    if (fd < 0 && errno == EAGAIN) continue;  // a concurrent rename: retry
    return fd;
  }
}

int open_target(int rootfd, const char *dest, bool is_file, const char *cfg) {
  int fd = open_in_root(rootfd, dest, O_PATH);
  if (fd >= 0 || errno != ENOENT) return fd;
  char prefix[4096];
  size_t len = strlen(dest);
  if (len >= sizeof prefix) fail("mount", ENAMETOOLONG, cfg, "destination is too long");
  for (size_t i = 1; i <= len; i++) {
    if (i < len && dest[i] != '/') continue;
    memcpy(prefix, dest, i);
    prefix[i] = 0;
    int probe = open_in_root(rootfd, prefix, O_PATH);
    if (probe >= 0) { close(probe); continue; }
    if (errno != ENOENT) return -1;
    // Create the missing component in its parent, itself resolved inside root.
    char *slash = strrchr(prefix, '/');
    const char *name = slash + 1;
    *slash = 0;
    int parent = open_in_root(rootfd, prefix[0] ? prefix : "/", O_PATH | O_DIRECTORY);
    if (parent < 0) return -1;
    int rc;
    if (i == len && is_file) {
      rc = openat(parent, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0644);
      if (rc >= 0) close(rc);
    } else {
      rc = mkdirat(parent, name, 0755);
    }
    int saved = errno;
    close(parent);
    if (rc < 0 && saved != EEXIST) { errno = saved; return -1; }
  }
  return open_in_root(rootfd, dest, O_PATH);
}

namespace {

// After the chdir: the kernel's getcwd prefixes a cwd that is not below our
// root with "(unreachable)" instead of '/'.
// resolved_in_root: the cwd was opened with RESOLVE_IN_ROOT, so it is inside
// already and this check is a second line; a getcwd that the config's own
// seccomp filter (loaded early without noNewPrivileges) refuses is no reason
// to fail then.
void check_cwd_inside(const char *cwd, bool resolved_in_root) {
  char buf[4096];
  if (syscall(SYS_getcwd, buf, sizeof buf) < 0) {
    if (resolved_in_root && (errno == EPERM || errno == EACCES || errno == ENOSYS)) return;
    fail("getcwd", errno, "/process/cwd", "cannot tell where cwd %s is: %s", cwd, errstr(errno));
  }
  if (buf[0] != '/')
    fail("chdir", EPERM, "/process/cwd",
         "cwd %s is outside the container's root (a possible container breakout); give a directory inside the container",
         cwd);
}

}  // namespace

void enter_cwd(const char *cwd) {
  int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) fail("open", errno, "", "cannot open /: %s", errstr(errno));
  int fd = open_in_root(rootfd, cwd, O_PATH | O_DIRECTORY);
  int err = errno;
  close(rootfd);
  if (fd < 0 && err == ENOSYS) {
    // No openat2: a kernel before 5.6, or a seccomp filter (loaded before
    // this when noNewPrivileges is off) that does not know it. A plain chdir
    // is still safe here: we hold no fd we were not given, and the check
    // below refuses a cwd that left our root.
    if (chdir(cwd) < 0) fail("chdir", errno, "/process/cwd", "cannot enter cwd %s: %s", cwd, errstr(errno));
    check_cwd_inside(cwd, false);
    return;
  }
  if (fd < 0 && err == ELOOP)
    fail("chdir", err, "/process/cwd",
         "cannot enter cwd %s: it is a symlink loop or a link through /proc (such as /proc/self/fd/N) that may lead "
         "outside the container's root (a possible container breakout); give a directory inside the container",
         cwd);
  if (fd < 0) fail("chdir", err, "/process/cwd", "cannot enter cwd %s: %s", cwd, errstr(err));
  if (fchdir(fd) < 0) fail("chdir", errno, "/process/cwd", "cannot enter cwd %s: %s", cwd, errstr(errno));
  close(fd);
  check_cwd_inside(cwd, true);
}

}  // namespace init
}  // namespace tsrun
