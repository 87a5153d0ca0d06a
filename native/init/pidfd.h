// --pidfd-socket (runc 1.2): a pidfd of the container's process, sent by that
// process itself over the caller's unix socket.
#pragma once

#include "plan.h"

namespace tsrun {
namespace init {

// Right after the plan: when its process has pidfdSocket, the parent's next
// message (MSG_PIDFD_SOCKET) carries the connected socket; it is kept here.
// The fd that came with the plan (the console socket) stays g_received_fd.
void receive_pidfd_socket(const plan::ProcessPlan &proc);
// In the process that will exec (create: the container's init; exec: the
// forked process), before any uid change: pidfd_open of ourselves, sent with
// SCM_RIGHTS and runc's message text ("standard" for create, "setns" for
// exec), then the socket is closed. No-op without --pidfd-socket.
void send_own_pidfd(bool exec);

}  // namespace init
}  // namespace tsrun
