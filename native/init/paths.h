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
// process.cwd, for create and exec alike, as the user: resolved inside the
// root we are in (past pivot_root or setns) and entered with fchdir, then
// checked to be below that root. A magic link such as /proc/self/fd/N to a
// host directory is refused (the CVE-2024-21626 class).
void enter_cwd(const char *cwd);

}  // namespace init
}  // namespace tsrun
