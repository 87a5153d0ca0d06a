// The container's process born in its cgroup v2: clone3(CLONE_INTO_CGROUP),
// so that no process of the container ever runs outside it (stage 0 itself
// never enters the unified hierarchy). Where clone3 is missing or a seccomp
// filter refuses it (docker's default profile makes it ENOSYS), the parent
// moves stage 0 in before a plain clone, as before.
#pragma once

#include "plan.h"

namespace tsrun {
namespace init {

struct CgroupClone {
  int mount_fd = -1;            // the unified hierarchy's root (O_PATH), opened before any setns; -1: no clone3 into a cgroup
  const char *path = nullptr;   // the cgroup, relative to that root
  const char *config_path = "";  // where errors point
};

// When the plan has a cgroupInto (into, non-null) and clone3 works, opens the
// hierarchy's root. Call before joining any namespace (a joined mount
// namespace changes what paths mean).
CgroupClone prepare_cgroup_clone(const plan::CloneTarget *into);

// After the parent has made (create) and prepared the cgroup: an O_PATH fd of
// it, for clone_process; -1 when cc has none. Closes the root.
int open_cgroup_target(CgroupClone *cc);

// clone with flags (namespace bits, CLONE_PARENT; the exit signal is SIGCHLD),
// into the cgroup of cgroup_fd when it is >= 0. Returns as clone does.
long clone_process(int flags, int cgroup_fd);

}  // namespace init
}  // namespace tsrun
