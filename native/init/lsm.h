// Linux security modules: the AppArmor profile and SELinux label the
// process gets at exec. TS has already refused them where the LSM is off.
#pragma once

#include "wire.h"

namespace tsrun {
namespace init {

void set_exec_labels(const wire::Value *proc);

}  // namespace init
}  // namespace tsrun
