// Process and file primitives node does not offer: waitpid with status,
// flock, mkfifo, pidfds and poll.
#pragma once

#include <sys/types.h>

#include <vector>

namespace tsrun {

struct WaitResult {
  bool exited;    // false: still running (non-blocking wait)
  int code;       // exit code, when it exited normally
  int signal;     // the terminating signal, or 0
};

WaitResult wait_pid(pid_t pid, bool block);
void lock_fd(int fd, bool exclusive, bool block, bool *acquired);
void make_fifo(const char *path, mode_t mode);
// A pidfd (close-on-exec) of pid, or -1 if there is no such process.
int pidfd_open_or_gone(pid_t pid);
// Sleeps in poll(2) until one of fds is readable or hung up (or timeout_ms
// passes; -1: no timeout), EINTR retried; which of them are.
std::vector<bool> wait_readable(const std::vector<int> &fds, int timeout_ms);

}  // namespace tsrun
