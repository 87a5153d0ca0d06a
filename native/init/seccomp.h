// Loading the seccomp filter that tsrun compiled in the parent (with
// libseccomp, in the addon): init only hands the BPF program to the kernel.
#pragma once

#include "plan.h"

namespace tsrun {
namespace init {

// Loads the plan's filter ({bpf, flags, notify}); returns the notify
// listener fd when the filter has SCMP_ACT_NOTIFY rules, else -1.
int load_seccomp(const plan::SeccompPlan &seccomp);

}  // namespace init
}  // namespace tsrun
