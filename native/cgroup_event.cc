#include "cgroup_event.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "syserror.h"

namespace tsrun {

int cgroup_eventfd(const std::string &cgroup_dir, const std::string &file, const std::string &args) {
  int target = open((cgroup_dir + "/" + file).c_str(), O_RDONLY | O_CLOEXEC);
  if (target < 0) throw_errno("open", "cannot open " + cgroup_dir + "/" + file);
  // Non-blocking: the caller polls it, so no thread of node's pool sits in read(2).
  int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (efd < 0) {
    int err = errno;
    close(target);
    errno = err;
    throw_errno("eventfd", "cannot make an eventfd");
  }
  int control = open((cgroup_dir + "/cgroup.event_control").c_str(), O_WRONLY | O_CLOEXEC);
  std::string line = std::to_string(efd) + " " + std::to_string(target) + (args.empty() ? "" : " " + args);
  bool ok = control >= 0 && write(control, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  int err = errno;
  if (control >= 0) close(control);
  // The kernel holds its own reference to the target from here on.
  close(target);
  if (!ok) {
    close(efd);
    errno = err;
    throw_errno("write", "cannot register an eventfd in " + cgroup_dir + "/cgroup.event_control");
  }
  return efd;
}

}  // namespace tsrun
