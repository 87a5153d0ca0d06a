// Where and how the process is scheduled: policy, I/O priority, CPU affinity.
#pragma once

#include "wire.h"

namespace tsrun {
namespace init {

void apply_scheduler(const wire::Value *proc);
void apply_io_priority(const wire::Value *proc);
// key is "cpuAffinityInitial" (at init's start) or "cpuAffinityFinal" (before exec).
void apply_cpu_affinity(const wire::Value *proc, const char *key);

}  // namespace init
}  // namespace tsrun
