#include "process.h"

#include <errno.h>
#include <poll.h>
#include <string>
#include <sys/syscall.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "syserror.h"

namespace tsrun {

void throw_errno(const std::string &call, const std::string &what) {
  int e = errno;
  throw SysError(call, e, what);
}

WaitResult wait_pid(pid_t pid, bool block) {
  int status = 0;
  pid_t r;
  do r = waitpid(pid, &status, (block ? 0 : WNOHANG) | __WALL); while (r < 0 && errno == EINTR);
  if (r < 0) throw_errno("waitpid", "cannot wait for pid " + std::to_string(pid));
  if (r == 0) return {false, 0, 0};
  if (WIFSIGNALED(status)) return {true, 0, WTERMSIG(status)};
  return {true, WEXITSTATUS(status), 0};
}

void lock_fd(int fd, bool exclusive, bool block, bool *acquired) {
  int op = (exclusive ? LOCK_EX : LOCK_SH) | (block ? 0 : LOCK_NB);
  int r;
  do r = flock(fd, op); while (r < 0 && errno == EINTR);
  if (r < 0 && errno == EWOULDBLOCK && !block) {
    *acquired = false;
    return;
  }
  if (r < 0) throw_errno("flock", "cannot lock");
  *acquired = true;
}

void make_fifo(const char *path, mode_t mode) {
  if (mkfifo(path, mode) < 0) throw_errno("mkfifo", std::string("cannot make fifo ") + path);
  // mkfifo honours the umask; the mode must be exactly what was asked.
  if (chmod(path, mode) < 0) throw_errno("chmod", path);
}

int pidfd_open_or_gone(pid_t pid) {
  int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0 && errno == ESRCH) return -1;
  if (fd < 0) throw SysError("pidfd_open", errno, "cannot open a pidfd of " + std::to_string(pid));
  return fd;
}

std::vector<bool> wait_readable(const std::vector<int> &fds, int timeout_ms) {
  std::vector<struct pollfd> p;
  for (int fd : fds) p.push_back({fd, POLLIN, 0});
  int r;
  do r = poll(p.data(), p.size(), timeout_ms);
  while (r < 0 && errno == EINTR);
  if (r < 0) throw SysError("poll", errno, "cannot wait for a file descriptor");
  std::vector<bool> ready;
  for (auto &q : p) ready.push_back(q.revents != 0);
  return ready;
}

}  // namespace tsrun
