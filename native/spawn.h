// Starting tsrun-init: a sealed memfd copy of the binary, a socketpair, and
// posix_spawn (safe from node's many threads, unlike fork).
#pragma once

#include <string>
#include <sys/types.h>

namespace tsrun {

struct SpawnedInit {
  pid_t pid;
  int sock;  // the parent's end of the init socket
};

// Throws SysError on failure. The child's socket lands at fd 3 + preserve_fds,
// above the fds the container keeps.
SpawnedInit spawn_init(const std::string &init_path, int preserve_fds);

}  // namespace tsrun
