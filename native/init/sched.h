// Where and how the process is scheduled: policy, I/O priority, CPU affinity.
#pragma once

#include "plan.h"

namespace tsrun {
namespace init {

void apply_scheduler(const plan::ProcessPlan &proc);
void apply_io_priority(const plan::ProcessPlan &proc);
// cpus: cpuAffinityInitial (at init's start) or cpuAffinityFinal (before exec), cfg its config path.
void apply_cpu_affinity(const plan::List<int64_t> &cpus, const char *cfg);

}  // namespace init
}  // namespace tsrun
