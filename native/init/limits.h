// Resource limits of the process: rlimits and the OOM score.
#pragma once

#include "plan.h"

namespace tsrun {
namespace init {

// process.rlimits come in two steps, so that a small limit (RLIMIT_NOFILE 3)
// binds the user's process but not our own setup, and a limit that cannot be
// granted still fails create. First, while we are root with every capability:
// each hard limit above the current one is raised (nothing is lowered).
void raise_hard_rlimits(const plan::ProcessPlan &proc);
// Last, just before execve: the caller's RLIMIT_NOFILE (node raised its own),
// then every rlimit as asked. This only lowers hard limits, which needs no
// capability.
void apply_rlimits(const plan::ProcessPlan &proc);
// process.oomScoreAdj, written while we are still the host's root.
void apply_oom_score_adj(const plan::ProcessPlan &proc);

}  // namespace init
}  // namespace tsrun
