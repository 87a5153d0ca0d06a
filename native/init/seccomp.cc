#include "seccomp.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "channel.h"

namespace tsrun {
namespace init {

int load_seccomp(const plan::SeccompPlan &seccomp) {
  const plan::Bytes &bpf = seccomp.bpf;
  if (bpf.len == 0 || bpf.len % sizeof(struct sock_filter) != 0 || bpf.len / sizeof(struct sock_filter) > BPF_MAXINSNS)
    fail("seccomp", EINVAL, "/linux/seccomp", "the compiled filter is malformed");
  struct sock_fprog prog = {static_cast<unsigned short>(bpf.len / sizeof(struct sock_filter)),
                            reinterpret_cast<struct sock_filter *>(const_cast<uint8_t *>(bpf.data))};
  unsigned int flags = static_cast<unsigned int>(seccomp.flags);
  if (seccomp.notify) flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
  long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (r < 0)
    fail("seccomp", errno, "/linux/seccomp", "the kernel refused the seccomp filter: %s", errstr(errno));
  return (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER) ? static_cast<int>(r) : -1;
}

}  // namespace init
}  // namespace tsrun
