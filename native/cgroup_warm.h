// The cgroup-attach warm-up: a background thread that makes no-op writes to
// a cgroup.procs so that the kernel's RCU grace period for the global
// cgroup_threadgroup_rwsem is paid while create does other work.
#pragma once

#include <string>

namespace tsrun {

// Starts a detached thread that writes "0" (the writer's own process) to
// procs_path at once and then every interval_ms, until cgroup_warm_stop or
// cap_ms, or the first failed write. Any previous warm-up is stopped first.
// hand_over_fd (-1: none) is the launcher's warm-up pipe, whose warm-up runs
// on: no thread is started, the fd is made close-on-exec and kept, and
// cgroup_warm_stop closes it, which ends the launcher's. False if the file
// cannot be opened or the thread not started, or the fd cannot be made
// close-on-exec (it is closed then): nothing runs.
bool cgroup_warm_start(const std::string &procs_path, int interval_ms, int cap_ms, int hand_over_fd);

// Tells the running warm-up thread (if any) to stop; it exits within one interval.
void cgroup_warm_stop();

}  // namespace tsrun
