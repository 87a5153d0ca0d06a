// Starting tsrun-init: a sealed memfd copy of the binary, a socketpair, and
// posix_spawn (safe from node's many threads, unlike fork).
#pragma once

#include <array>
#include <string>
#include <sys/types.h>

namespace tsrun {

struct SpawnedInit {
  pid_t pid;
  int sock;  // the parent's end of the init socket
};

// Throws SysError on failure. The child's socket lands at fd 3 + preserve_fds,
// above the fds the container keeps. stdio: the fds the child gets as 0, 1
// and 2 (a library caller's pipes); -1 keeps ours (the CLI's way).
SpawnedInit spawn_init(const std::string &init_path, int preserve_fds, const std::array<int, 3> &stdio = {-1, -1, -1});

}  // namespace tsrun
