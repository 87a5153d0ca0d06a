// Resource limits of the process: rlimits and the OOM score.
#pragma once

#include "wire.h"

namespace tsrun {
namespace init {

// The caller's RLIMIT_NOFILE (node raised its own), then process.rlimits.
void apply_rlimits(const wire::Value *proc);
// process.oomScoreAdj, written while we are still the host's root.
void apply_oom_score_adj(const wire::Value *proc);

}  // namespace init
}  // namespace tsrun
