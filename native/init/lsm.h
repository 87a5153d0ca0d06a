// Linux security modules: the AppArmor profile and SELinux label the
// process gets at exec. TS has already refused them where the LSM is off.
#pragma once

#include "plan.h"

namespace tsrun {
namespace init {

void set_exec_labels(const plan::ProcessPlan &proc);

}  // namespace init
}  // namespace tsrun
