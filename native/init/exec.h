// tsrun-init's exec mode (`tsrun exec`): one more process in an existing
// container. It joins every namespace of the container's init, forks into
// the pid namespace, becomes the process as create's init would, and execs.
#pragma once

#include "plan.h"

namespace tsrun {
namespace init {

// Runs in stage 0. Stage 0 reports the child's pid and exits inside
// enter_namespaces; the child execs the process or fails. Never returns.
[[noreturn]] void run_exec(const plan::ExecPlan &plan);

}  // namespace init
}  // namespace tsrun
