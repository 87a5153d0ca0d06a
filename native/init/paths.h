// Opening paths inside the rootfs without ever leaving it.
#pragma once

namespace tsrun {
namespace init {

// openat2 with RESOLVE_IN_ROOT: symlinks and ".." resolve as if root were "/"
// (the CVE-2021-30465 class).
int open_in_root(int rootfd, const char *path, int flags);
// Opens path inside root (O_PATH), creating missing directories (and the
// last component as a file when is_file) one component at a time.
int open_target(int rootfd, const char *dest, bool is_file, const char *cfg);

}  // namespace init
}  // namespace tsrun
