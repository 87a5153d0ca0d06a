// process.terminal: a pty made inside the container, its slave the process's
// stdio and controlling terminal, its master sent to the console socket.
#pragma once

#include "plan.h"

namespace tsrun {
namespace init {

// After setsid, inside the container's mount namespace. console_sock is the
// connected --console-socket (from the parent); with bind_console the slave
// is also bind-mounted on /dev/console, as runc does for a container's init.
void setup_terminal(const plan::ProcessPlan &proc, int console_sock, bool bind_console);

}  // namespace init
}  // namespace tsrun
