// Idmapped bind mounts (mounts[].uidMappings/gidMappings, idmap/ridmap).
// Stage 0, still the host's root in the host's namespaces, makes each one as
// a detached mount; the container's init attaches it where mount_one would
// have bound the source. Made before any namespace is entered, so a
// container with its own user namespace gets them too (as runc does).
#pragma once

#include "plan.h"

namespace tsrun {
namespace init {

// For every mount of the plan with "idmap": a user namespace with its maps
// (a child unshares one, we write its maps and keep /proc/<child>/ns/user),
// open_tree(OPEN_TREE_CLONE) of the source, mount_setattr(MOUNT_ATTR_IDMAP).
void prepare_idmapped_mounts(const plan::List<plan::MountPlan> &mounts);
// The detached mount made for plan mount m, or -1.
int idmapped_mount_fd(const plan::MountPlan &m);

}  // namespace init
}  // namespace tsrun
