#include "pidfd.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../scm_rights.h"
#include "channel.h"

namespace tsrun {
namespace init {

namespace {
int g_pidfd_sock = -1;
const char kFlag[] = "--pidfd-socket";
}  // namespace

void receive_pidfd_socket(const plan::ProcessPlan &proc) {
  if (!proc.pidfd_socket) return;
  int console = g_received_fd;
  g_received_fd = -1;
  uint32_t type = 0;
  wire::Value *v = recv_message(&type);
  if (!v) _exit(1);  // the parent is gone
  wire::free_value(v);
  if (type != MSG_PIDFD_SOCKET || g_received_fd < 0)
    fail("recv", EPROTO, "", "expected the %s fd from the parent, got message %u", kFlag, type);
  g_pidfd_sock = g_received_fd;
  g_received_fd = console;
}

void send_own_pidfd(bool exec) {
  if (g_pidfd_sock < 0) return;
  // getpid() is our pid in our own pid namespace, which is where pidfd_open looks it up.
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, getpid(), 0));
  if (pidfd < 0) fail("pidfd", errno, "", "%s: pidfd_open of the container's process failed: %s", kFlag, errstr(errno));
  // runc's message names the kind of init that sent it.
  const char *text = exec ? "setns" : "standard";
  struct iovec iov = {const_cast<char *>(text), strlen(text)};
  if (send_with_fd(g_pidfd_sock, &iov, 1, pidfd) < 0)
    fail("pidfd", errno, "", "%s: cannot send the pidfd on the socket: %s", kFlag, errstr(errno));
  close(pidfd);
  close(g_pidfd_sock);
  g_pidfd_sock = -1;
}

}  // namespace init
}  // namespace tsrun
