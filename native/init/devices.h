// Device nodes in the container's /dev: runc's defaults (null, zero, full,
// random, urandom, tty), linux.devices, and the /dev/fd and stdio symlinks.
#pragma once

#include "plan.h"

namespace tsrun {
namespace init {

// Before pivot_root, after the mounts (so /dev is the container's tmpfs).
void make_devices(const plan::CreatePlan &plan);

}  // namespace init
}  // namespace tsrun
