#include "process.h"

#include <errno.h>
#include <string>
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

}  // namespace tsrun
