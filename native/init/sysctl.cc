#include "sysctl.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "channel.h"
#include "procfs.h"

namespace tsrun {
namespace init {

void apply_sysctl(const plan::List<plan::SysctlPlan> &sysctl) {
  for (const plan::SysctlPlan &s : sysctl) {
    const char *cfg = s.config_path;
    const char *file = s.file;
    const char *value = s.value;
    int fd = open_proc_file(file, O_WRONLY | O_TRUNC);
    if (fd < 0)
      fail("sysctl", errno, cfg, errno == ENOENT ? "this kernel has no /proc/%s: %s" : "cannot open /proc/%s: %s", file,
           errstr(errno));
    ssize_t len = static_cast<ssize_t>(strlen(value));
    if (write(fd, value, len) != len)
      fail("sysctl", errno, cfg, "the kernel refused \"%s\" for /proc/%s: %s", value, file, errstr(errno));
    close(fd);
  }
}

}  // namespace init
}  // namespace tsrun
