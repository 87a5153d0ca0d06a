// linux.netDevices: host network devices moved into the container's new
// network namespace, renamed as asked (a %d pattern too), with their
// permanent global addresses kept, and up. As runc does: never moved back;
// the kernel returns a physical device to the host when the namespace dies,
// and destroys a virtual one with it.
#pragma once

#include "plan.h"

namespace tsrun {
namespace init {

// Stage 0, in the host's network namespace: a netlink socket there (it stays
// the host's after we leave), each device's index and its permanent global
// addresses, read before the move takes them away.
void prepare_net_devices(const plan::List<plan::NetDevicePlan> &devices);
// The container's init, in its new network namespace: move each device in
// through the host's socket, then re-add the addresses and bring it up.
void move_net_devices();

}  // namespace init
}  // namespace tsrun
