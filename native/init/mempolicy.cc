#include "mempolicy.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "channel.h"

namespace tsrun {
namespace init {

void apply_memory_policy(const plan::ProcessPlan &proc) {
  const plan::MemoryPolicyPlan *mp = proc.memory_policy;
  if (!mp) return;
  // 1024 nodes at most (mempolicy.ts checks): 16 words of mask.
  unsigned long mask[16];
  memset(mask, 0, sizeof mask);
  unsigned long highest = 0;
  uint32_t n = mp->nodes.count;
  for (int64_t each : mp->nodes) {
    unsigned long node = static_cast<unsigned long>(each);
    if (node >= 16 * 64) fail("set_mempolicy", EINVAL, "/linux/memoryPolicy/nodes", "node %lu is above 1023", node);
    mask[node / 64] |= 1UL << (node % 64);
    if (node > highest) highest = node;
  }
  // maxnode counts one bit past the mask's last (the kernel reads maxnode - 1 bits).
  unsigned long maxnode = n ? (highest / 64 + 1) * 64 + 1 : 0;
  int mode = static_cast<int>(mp->mode);
  if (syscall(SYS_set_mempolicy, mode, n ? mask : nullptr, maxnode) < 0) {
    int e = errno;
    fail("set_mempolicy", e, "/linux/memoryPolicy",
         e == EINVAL ? "the kernel refused the memory policy (%s): a node outside the container's cpuset.mems, or a mode "
                       "or flag this kernel does not have"
                     : "cannot set the memory policy: %s",
         errstr(e));
  }
}

}  // namespace init
}  // namespace tsrun
