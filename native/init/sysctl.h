// linux.sysctl, written inside the container's namespaces after pivot_root.
// TS has already refused every key that is not namespaced.
#pragma once

#include "wire.h"

namespace tsrun {
namespace init {

void apply_sysctl(const wire::Value *plan);

}  // namespace init
}  // namespace tsrun
