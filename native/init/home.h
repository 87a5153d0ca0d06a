// HOME for the process, as runc sets it.
#pragma once

#include <sys/types.h>

namespace tsrun {
namespace init {

// envp itself when it has a non-empty HOME; else a copy with
// HOME=<uid's home in the container's /etc/passwd>, or HOME=/ when uid has no
// entry (runc's rule). Reads the /etc/passwd of the root we are in (past
// pivot_root or setns), resolved inside it.
char **with_home(char **envp, uid_t uid);

}  // namespace init
}  // namespace tsrun
