// cgroup v1 notifications: an eventfd registered through cgroup.event_control
// (memory.oom_control fires it on each OOM, and on the cgroup's removal).
#pragma once

#include <string>

namespace tsrun {

// Returns the eventfd (close-on-exec, non-blocking), the caller's to poll and close. Throws SysError.
int cgroup_eventfd(const std::string &cgroup_dir, const std::string &file, const std::string &args);

}  // namespace tsrun
