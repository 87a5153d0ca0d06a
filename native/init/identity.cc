#include "identity.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "channel.h"

namespace tsrun {
namespace init {
namespace {

// "deny" in /proc/self/setgroups: a user namespace whose gid_map was written
// without privilege. setgroups(2) is refused there, so an empty list is left as is.
bool setgroups_denied() {
  int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buf[16] = {};
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  return n > 0 && strncmp(buf, "deny", 4) == 0;
}

void set_groups(const plan::ProcessPlan &proc) {
  uint32_t n = proc.additional_gids.count;
  if (n == 0 && setgroups_denied()) return;
  // Up to the kernel's NGROUPS_MAX (65536), which the planner checks.
  gid_t *gids = static_cast<gid_t *>(calloc(n ? n : 1, sizeof(gid_t)));
  if (!gids) fail("alloc", ENOMEM, "", "out of memory");
  for (uint32_t i = 0; i < n; i++) gids[i] = static_cast<gid_t>(proc.additional_gids[i]);
  if (setgroups(n, gids) < 0) {
    int err = errno;
    long max = sysconf(_SC_NGROUPS_MAX);
    errno = err;
    if (errno == EINVAL && max > 0 && n > static_cast<unsigned long>(max))
      fail("setgroups", errno, "/process/user/additionalGids",
           "%u groups are more than the kernel allows (NGROUPS_MAX, %ld)", n, max);
    if (errno == EPERM && setgroups_denied())
      fail("setgroups", errno, "/process/user/additionalGids",
           "this user namespace denies setgroups (/proc/self/setgroups is \"deny\"); remove additionalGids");
    if (errno == EINVAL)
      fail("setgroups", errno, "/process/user/additionalGids",
           "a group in additionalGids is not mapped in the container's user namespace");
    fail("setgroups", errno, "/process/user/additionalGids", "setgroups: %s", errstr(errno));
  }
  free(gids);
}

}  // namespace

void drop_bounding_set(const plan::ProcessPlan &proc) {
  uint64_t keep = static_cast<uint64_t>(proc.capabilities.bounding);
  int last = static_cast<int>(proc.last_cap);
  for (int cap = 0; cap <= last; cap++) {
    if (keep & (1ULL << cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
      fail("capbset", errno, "/process/capabilities/bounding", "cannot drop capability %d from the bounding set: %s",
           cap, errstr(errno));
  }
}

void become_user(const plan::ProcessPlan &proc) {
  // Keep the permitted set across the uid change; capset below narrows it.
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) fail("prctl", errno, "", "PR_SET_KEEPCAPS: %s", errstr(errno));
  set_groups(proc);
  uid_t uid = static_cast<uid_t>(proc.uid);
  gid_t gid = static_cast<gid_t>(proc.gid);
  if (setresgid(gid, gid, gid) < 0)
    fail("setgid", errno, "/process/user/gid", errno == EINVAL ? "gid %u is not mapped in the container's user namespace"
                                                               : "cannot set gid %u: %s", gid, errstr(errno));
  if (setresuid(uid, uid, uid) < 0)
    fail("setuid", errno, "/process/user/uid", errno == EINVAL ? "uid %u is not mapped in the container's user namespace"
                                                               : "cannot set uid %u: %s", uid, errstr(errno));
  if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0) fail("prctl", errno, "", "PR_SET_KEEPCAPS: %s", errstr(errno));

  const plan::CapabilityPlan &caps = proc.capabilities;
  uint64_t eff = static_cast<uint64_t>(caps.effective), perm = static_cast<uint64_t>(caps.permitted),
           inh = static_cast<uint64_t>(caps.inheritable);
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2] = {
      {static_cast<uint32_t>(eff), static_cast<uint32_t>(perm), static_cast<uint32_t>(inh)},
      {static_cast<uint32_t>(eff >> 32), static_cast<uint32_t>(perm >> 32), static_cast<uint32_t>(inh >> 32)},
  };
  if (syscall(SYS_capset, &hdr, data) < 0)
    fail("capset", errno, "/process/capabilities",
         "cannot set the capabilities (effective must be within permitted): %s", errstr(errno));

  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    fail("prctl", errno, "/process/capabilities/ambient", "cannot clear the ambient set: %s", errstr(errno));
  uint64_t amb = static_cast<uint64_t>(caps.ambient);
  for (int cap = 0; cap < 64; cap++) {
    if (!(amb & (1ULL << cap))) continue;
    // runc warns and goes on here, and its own `runc spec` config relies on
    // it (ambient caps that are not inheritable): so do we.
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
      warn("/process/capabilities/ambient: cannot raise ambient capability %d: it must also be permitted and inheritable (%s)",
           cap, errstr(errno));
  }
}

}  // namespace init
}  // namespace tsrun
