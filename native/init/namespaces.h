// Namespace work for the create mode: join by path, the user namespace with
// its uid/gid map sync, then the clone that makes the container's init.
#pragma once

#include "plan.h"

namespace tsrun {
namespace init {

// Runs in stage 0 (the process the parent spawned). Returns only in the
// container's init (the cloned child); stage 0 reports the child's pid to the
// parent and exits inside. namespaces are entered in their order; cgroup_sync:
// stop at CGROUP_READY before the clone; cgroup_into (with cgroup_sync; may
// be null): the unified cgroup to clone the child into; time_offsets: for a new time
// namespace (nullptr: none); sets_uts_names: a hostname or domainname will be
// set, so a joined uts namespace must not be the host's.
void enter_namespaces(const plan::List<plan::NamespacePlan> &namespaces, bool cgroup_sync, const plan::CloneTarget *cgroup_into,
                      const char *time_offsets, bool sets_uts_names);

}  // namespace init
}  // namespace tsrun
