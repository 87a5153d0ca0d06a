// Safe access to the container's /proc after pivot_root. A config's mounts
// (or a hostile rootfs) can put anything over /proc or a file in it; writes
// meant for the kernel must not be redirected (the CVE-2025-52881 class).
#pragma once

namespace tsrun {
namespace init {

// Opens rel (e.g. "sys/net/ipv4/ip_forward", "thread-self/attr/exec") under
// the real procfs at /proc: /proc must be a procfs root, and the path may not
// cross into another mount or follow a magic link. Returns -1 with errno set.
int open_proc_file(const char *rel, int flags);

}  // namespace init
}  // namespace tsrun
