// Namespace work for the create mode: join by path, the user namespace with
// its uid/gid map sync, then the clone that makes the container's init.
#pragma once

#include "wire.h"

namespace tsrun {
namespace init {

// Runs in stage 0 (the process the parent spawned). Returns only in the
// container's init (the cloned child); stage 0 reports the child's pid to the
// parent and exits inside.
void enter_namespaces(const wire::Value *plan);

}  // namespace init
}  // namespace tsrun
