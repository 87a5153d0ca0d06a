#include "cgroup-clone.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <linux/sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "channel.h"

namespace tsrun {
namespace init {
namespace {

// Is clone3 there to use? The kernel refuses a zero size with EINVAL before
// doing anything; a missing syscall or a seccomp filter answers otherwise
// (ENOSYS from docker's profile, EPERM from others).
bool clone3_usable() {
  long r = syscall(SYS_clone3, nullptr, 0);
  return r < 0 && errno == EINVAL;
}

}  // namespace

CgroupClone prepare_cgroup_clone(const plan::CloneTarget *into) {
  CgroupClone cc;
  if (!into || !clone3_usable()) return cc;
  cc.path = into->path;
  cc.config_path = into->config_path;
  cc.mount_fd = open(into->mount, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (cc.mount_fd < 0) fail("open", errno, cc.config_path, "cannot open the cgroup v2 hierarchy at %s: %s", into->mount, errstr(errno));
  return cc;
}

int open_cgroup_target(CgroupClone *cc) {
  if (cc->mount_fd < 0) return -1;
  int fd = openat(cc->mount_fd, cc->path, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) fail("open", errno, cc->config_path, "cannot open the cgroup %s: %s", cc->path, errstr(errno));
  close(cc->mount_fd);
  cc->mount_fd = -1;
  return fd;
}

long clone_process(int flags, int cgroup_fd) {
  if (cgroup_fd < 0) return syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
  struct clone_args args = {};
  args.flags = static_cast<unsigned>(flags) | CLONE_INTO_CGROUP;
  // With CLONE_PARENT the child takes our own exit signal (SIGCHLD, as the
  // parent spawned us); clone3 refuses one given beside it.
  if (!(flags & CLONE_PARENT)) args.exit_signal = SIGCHLD;
  args.cgroup = static_cast<unsigned>(cgroup_fd);
  return syscall(SYS_clone3, &args, sizeof args);
}

}  // namespace init
}  // namespace tsrun
