// linux.memoryPolicy: the process's NUMA memory policy, set with
// set_mempolicy (it is kept over fork and execve).
#pragma once

#include "plan.h"

namespace tsrun {
namespace init {

// proc is the plan's "process"; does nothing when it has no memoryPolicy.
void apply_memory_policy(const plan::ProcessPlan &proc);

}  // namespace init
}  // namespace tsrun
