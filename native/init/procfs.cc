#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace tsrun {
namespace init {

namespace {

constexpr ino_t kProcRootIno = 1;

}  // namespace

int open_proc_file(const char *rel, int flags) {
  int dir = open("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (dir < 0) return -1;
  struct statfs sfs;
  struct stat st;
  if (fstatfs(dir, &sfs) < 0 || fstat(dir, &st) < 0) {
    int err = errno;
    close(dir);
    errno = err;
    return -1;
  }
  if (sfs.f_type != PROC_SUPER_MAGIC || st.st_ino != kProcRootIno) {
    close(dir);
    errno = EXDEV;  // /proc is not a procfs root: something is mounted over it
    return -1;
  }
  struct open_how how = {};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC | O_NOFOLLOW);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS;
  int fd;
  do fd = static_cast<int>(syscall(SYS_openat2, dir, rel, &how, sizeof how)); while (fd < 0 && errno == EAGAIN);
  int err = errno;
  close(dir);
  errno = err;
  return fd;
}

}  // namespace init
}  // namespace tsrun
