// The container's filesystem: rootfs propagation, the rootfs made a mount
// point, the config's mounts (targets resolved inside the rootfs), pivot_root.
#pragma once

#include <sys/statvfs.h>

#include "plan.h"

namespace tsrun {
namespace init {

// The nosuid/nodev/noexec of a mount: a bind remount must pass them again or fail.
unsigned long locked_flags(const struct statvfs &sv);
// Before pivot_root: propagation, the rootfs bind, every mount in plan.mounts.
void mount_rootfs(const plan::CreatePlan &plan);
// pivot_root (or MS_MOVE + chroot with noPivot) and root.readonly.
void enter_rootfs(const plan::CreatePlan &plan);

}  // namespace init
}  // namespace tsrun
