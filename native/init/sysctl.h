// linux.sysctl, written inside the container's namespaces after pivot_root.
// TS has already refused every key that is not namespaced.
#pragma once

#include "plan.h"

namespace tsrun {
namespace init {

void apply_sysctl(const plan::List<plan::SysctlPlan> &sysctl);

}  // namespace init
}  // namespace tsrun
