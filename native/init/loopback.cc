#include "loopback.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "channel.h"

namespace tsrun {
namespace init {

void bring_up_loopback() {
  int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (sock < 0) fail("socket", errno, "/linux/namespaces", "cannot open a socket to bring up lo: %s", errstr(errno));
  struct ifreq ifr = {};
  strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
    fail("ioctl", errno, "/linux/namespaces", "cannot read the flags of lo in the new network namespace: %s", errstr(errno));
  ifr.ifr_flags |= IFF_UP;
  if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
    fail("ioctl", errno, "/linux/namespaces", "cannot bring up lo in the new network namespace: %s", errstr(errno));
  close(sock);
}

}  // namespace init
}  // namespace tsrun
