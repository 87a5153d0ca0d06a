#include "netdev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "channel.h"

namespace tsrun {
namespace init {

namespace {

struct Addr {
  struct ifaddrmsg ifa;
  uint8_t local[16], address[16], broadcast[16];
  bool has_local, has_address, has_broadcast;
};

struct Device {
  char host_name[IFNAMSIZ];
  char name[IFNAMSIZ];  // in the container; may hold a %d pattern
  char cfg[IFNAMSIZ + 32];
  int index;
  Addr *addrs;
  int naddrs;
};

Device *g_devices = nullptr;
int g_ndevices = 0;
int g_host_rtnl = -1;
uint32_t g_seq = 1;

int open_rtnl(const char *cfg) {
  int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (s < 0) fail("netlink", errno, cfg, "cannot open a netlink socket: %s", errstr(errno));
  return s;
}

struct Req {
  struct nlmsghdr nh;
  char body[1024];
};

void add_attr(struct nlmsghdr *nh, unsigned short type, const void *data, size_t len) {
  struct rtattr *rta = reinterpret_cast<struct rtattr *>(reinterpret_cast<char *>(nh) + NLMSG_ALIGN(nh->nlmsg_len));
  rta->rta_type = type;
  rta->rta_len = static_cast<unsigned short>(RTA_LENGTH(len));
  memcpy(RTA_DATA(rta), data, len);
  nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_ALIGN(rta->rta_len);
}

// Sends a request that wants an ACK; returns 0 or the negative errno the kernel answered.
int transact(int sock, struct nlmsghdr *nh) {
  nh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
  nh->nlmsg_seq = ++g_seq;
  if (send(sock, nh, nh->nlmsg_len, 0) < 0) return -errno;
  char buf[8192];
  for (;;) {
    ssize_t n = recv(sock, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    for (struct nlmsghdr *h = reinterpret_cast<struct nlmsghdr *>(buf); NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_seq != nh->nlmsg_seq) continue;
      if (h->nlmsg_type == NLMSG_ERROR) return static_cast<struct nlmsgerr *>(NLMSG_DATA(h))->error;
    }
  }
}

// The permanent, global addresses of dev (runc keeps only those: others are
// dynamic, or only make sense in the namespace they came from).
void read_addresses(Device *dev) {
  Req req = {};
  req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
  req.nh.nlmsg_type = RTM_GETADDR;
  req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  req.nh.nlmsg_seq = ++g_seq;
  if (send(g_host_rtnl, &req, req.nh.nlmsg_len, 0) < 0)
    fail("netlink", errno, dev->cfg, "cannot list the addresses of %s: %s", dev->host_name, errstr(errno));
  static char buf[32768];
  for (;;) {
    ssize_t n = recv(g_host_rtnl, buf, sizeof buf, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("netlink", errno, dev->cfg, "cannot list the addresses of %s: %s", dev->host_name, errstr(errno));
    }
    for (struct nlmsghdr *h = reinterpret_cast<struct nlmsghdr *>(buf); NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
      if (h->nlmsg_type == NLMSG_DONE) return;
      if (h->nlmsg_type == NLMSG_ERROR)
        fail("netlink", -static_cast<struct nlmsgerr *>(NLMSG_DATA(h))->error, dev->cfg, "cannot list the addresses of %s", dev->host_name);
      if (h->nlmsg_type != RTM_NEWADDR) continue;
      struct ifaddrmsg *ifa = static_cast<struct ifaddrmsg *>(NLMSG_DATA(h));
      if (static_cast<int>(ifa->ifa_index) != dev->index || ifa->ifa_scope != RT_SCOPE_UNIVERSE) continue;
      Addr a = {};
      a.ifa = *ifa;
      uint32_t flags = ifa->ifa_flags;
      size_t alen = ifa->ifa_family == AF_INET6 ? 16 : 4;
      int len = static_cast<int>(IFA_PAYLOAD(h));
      for (struct rtattr *rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
        if (rta->rta_type == IFA_FLAGS) memcpy(&flags, RTA_DATA(rta), sizeof flags);
        if (RTA_PAYLOAD(rta) != alen) continue;
        if (rta->rta_type == IFA_LOCAL) memcpy(a.local, RTA_DATA(rta), alen), a.has_local = true;
        if (rta->rta_type == IFA_ADDRESS) memcpy(a.address, RTA_DATA(rta), alen), a.has_address = true;
        if (rta->rta_type == IFA_BROADCAST) memcpy(a.broadcast, RTA_DATA(rta), alen), a.has_broadcast = true;
      }
      if (!(flags & IFA_F_PERMANENT)) continue;
      Addr *grown = static_cast<Addr *>(realloc(dev->addrs, sizeof(Addr) * (dev->naddrs + 1)));
      if (!grown) fail("alloc", ENOMEM, dev->cfg, "out of memory");
      dev->addrs = grown;
      dev->addrs[dev->naddrs++] = a;
    }
  }
}

}  // namespace

void prepare_net_devices(const plan::List<plan::NetDevicePlan> &list) {
  g_ndevices = static_cast<int>(list.count);
  if (!g_ndevices) return;
  g_devices = static_cast<Device *>(calloc(g_ndevices, sizeof(Device)));
  if (!g_devices) fail("alloc", ENOMEM, "/linux/netDevices", "out of memory");
  g_host_rtnl = open_rtnl("/linux/netDevices");
  for (int i = 0; i < g_ndevices; i++) {
    const plan::NetDevicePlan &d = list[static_cast<uint32_t>(i)];
    Device *dev = &g_devices[i];
    snprintf(dev->host_name, sizeof dev->host_name, "%s", d.host_name);
    snprintf(dev->name, sizeof dev->name, "%s", d.name);
    snprintf(dev->cfg, sizeof dev->cfg, "/linux/netDevices/%s", dev->host_name);
    dev->index = static_cast<int>(if_nametoindex(dev->host_name));
    if (!dev->index) fail("netdev", errno, dev->cfg, "there is no network device %s on the host: %s", dev->host_name, errstr(errno));
    read_addresses(dev);
  }
}

void move_net_devices() {
  if (!g_ndevices) return;
  int netns = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (netns < 0) fail("netdev", errno, "/linux/netDevices", "cannot open our network namespace: %s", errstr(errno));
  int ours = open_rtnl("/linux/netDevices");
  for (int i = 0; i < g_ndevices; i++) {
    Device *dev = &g_devices[i];
    // Moved and renamed in one request, through the host's socket; the kernel fills a %d.
    Req req = {};
    req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
    req.nh.nlmsg_type = RTM_NEWLINK;
    struct ifinfomsg *ifi = static_cast<struct ifinfomsg *>(NLMSG_DATA(&req.nh));
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = dev->index;
    uint32_t fd = static_cast<uint32_t>(netns);
    add_attr(&req.nh, IFLA_NET_NS_FD, &fd, sizeof fd);
    add_attr(&req.nh, IFLA_IFNAME, dev->name, strlen(dev->name) + 1);
    int rc = transact(g_host_rtnl, &req.nh);
    if (rc < 0)
      fail("netdev", -rc, dev->cfg, "cannot move %s into the container's network namespace as %s: %s", dev->host_name, dev->name, errstr(-rc));
    // A fresh namespace has only lo: the device keeps its index.
    for (int j = 0; j < dev->naddrs; j++) {
      Addr *a = &dev->addrs[j];
      Req ar = {};
      ar.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
      ar.nh.nlmsg_type = RTM_NEWADDR;
      ar.nh.nlmsg_flags = NLM_F_CREATE | NLM_F_REPLACE;
      struct ifaddrmsg *ifa = static_cast<struct ifaddrmsg *>(NLMSG_DATA(&ar.nh));
      *ifa = a->ifa;
      ifa->ifa_index = static_cast<uint32_t>(dev->index);
      ifa->ifa_flags = 0;
      size_t alen = a->ifa.ifa_family == AF_INET6 ? 16 : 4;
      if (a->has_local) add_attr(&ar.nh, IFA_LOCAL, a->local, alen);
      if (a->has_address) add_attr(&ar.nh, IFA_ADDRESS, a->address, alen);
      if (a->has_broadcast) add_attr(&ar.nh, IFA_BROADCAST, a->broadcast, alen);
      rc = transact(ours, &ar.nh);
      if (rc < 0) fail("netdev", -rc, dev->cfg, "cannot give %s back its address in the container: %s", dev->host_name, errstr(-rc));
    }
    Req up = {};
    up.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
    up.nh.nlmsg_type = RTM_NEWLINK;
    ifi = static_cast<struct ifinfomsg *>(NLMSG_DATA(&up.nh));
    ifi->ifi_family = AF_UNSPEC;
    ifi->ifi_index = dev->index;
    ifi->ifi_flags = IFF_UP;
    ifi->ifi_change = IFF_UP;
    rc = transact(ours, &up.nh);
    if (rc < 0) fail("netdev", -rc, dev->cfg, "cannot bring %s up in the container: %s", dev->host_name, errstr(-rc));
  }
  close(ours);
  close(netns);
  close(g_host_rtnl);
  g_host_rtnl = -1;
}

}  // namespace init
}  // namespace tsrun
