// Process and file primitives node does not offer: waitpid with status,
// flock, mkfifo.
#pragma once

#include <sys/types.h>

namespace tsrun {

struct WaitResult {
  bool exited;    // false: still running (non-blocking wait)
  int code;       // exit code, when it exited normally
  int signal;     // the terminating signal, or 0
};

WaitResult wait_pid(pid_t pid, bool block);
void lock_fd(int fd, bool exclusive, bool block, bool *acquired);
void make_fifo(const char *path, mode_t mode);

}  // namespace tsrun
