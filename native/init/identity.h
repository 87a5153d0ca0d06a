// Who the process is: supplementary groups, gid, uid and the five
// capability sets, applied in libcontainer's order.
#pragma once

#include "plan.h"

namespace tsrun {
namespace init {

// Drops the bounding set to the plan's; must run while we still hold CAP_SETPCAP.
void drop_bounding_set(const plan::ProcessPlan &proc);
// setgroups/setgid/setuid with PR_SET_KEEPCAPS held, then effective,
// permitted, inheritable and ambient exactly as planned.
void become_user(const plan::ProcessPlan &proc);

}  // namespace init
}  // namespace tsrun
