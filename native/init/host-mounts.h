// A container without a mount namespace (config-linux.md "Namespaces": the
// type left out is the runtime's): its mounts are the host's. Each is made
// detached, recorded by its mount id, then attached, so delete can undo
// exactly those (src/runtime/host-mounts.ts); root is a chroot.
#pragma once

#include "plan.h"

namespace tsrun {
namespace init {

// Opens plan.hostMountRecord (in the state dir) while we are still the host's
// root: -1 when the container has a mount namespace.
int open_host_mount_record(const plan::CreatePlan &plan);
// Every mount in plan.mounts, inside the rootfs, each recorded before it is attached.
void mount_on_host(const plan::CreatePlan &plan, int record_fd);

}  // namespace init
}  // namespace tsrun
