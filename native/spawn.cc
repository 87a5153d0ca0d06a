#include "spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <linux/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fd.h"
#include "protocol.h"
#include "syserror.h"

namespace tsrun {
namespace {

// The container must never be able to write to a binary of the host's
// (CVE-2019-5736): init runs from a read-only overlayfs (sealed_overlay), or
// where that cannot be made, from a sealed in-memory copy.
int sealed_copy(const std::string &path) {
  Fd src;
  src.fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (src.fd < 0) throw_errno("open", "cannot open " + path);
  struct stat st;
  if (fstat(src.fd, &st) < 0) throw_errno("fstat", path);
  int mfd = memfd_create("tsrun-init", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0) throw_errno("memfd_create", "cannot create a memfd for tsrun-init");
  off_t off = 0;
  while (off < st.st_size) {
    ssize_t n = sendfile(mfd, src.fd, &off, st.st_size - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = n < 0 ? errno : EIO;
      close(mfd);
      errno = e;
      throw_errno("sendfile", "cannot copy " + path + " into a memfd");
    }
  }
  if (fcntl(mfd, F_ADD_SEALS, F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) < 0) {
    int e = errno;
    close(mfd);
    errno = e;
    throw_errno("fcntl", "cannot seal the tsrun-init memfd");
  }
  return mfd;
}

// The directory beside init's own that seals it (sealed_overlay); the build
// makes it (CMakeLists.txt). Empty: it only makes overlayfs's second layer.
constexpr const char kSealLowerName[] = "init-seal-lower";

std::string dir_of(const std::string &path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
}

// The same protection without a copy (runc 1.2's): init's directory as the
// top lower layer of a private, read-only overlayfs mount that is in no
// mount namespace. A file of an overlayfs with no upper layer cannot be
// opened for writing, nor the mount made writable again (a read-only bind
// mount could be), so /proc/<pid>/exe gives the container nothing to write.
// The pages are the page cache's, shared by every init, where a memfd copy
// is 0.8 MB of its own per container and 0.2 ms of each spawn. -1 when this
// kernel, filesystem or caller cannot (fsopen needs CAP_SYS_ADMIN).
int sealed_overlay(const std::string &path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos || slash + 1 == path.size()) return -1;
  const std::string dir = dir_of(path), name = path.substr(slash + 1);
  const std::string lower = dir_of(dir) + "/" + kSealLowerName;
  // lowerdir's separators are ':' (and '\\' escapes); such a path takes the copy.
  if ((dir + lower).find_first_of(":\\,") != std::string::npos) return -1;
  Fd ctx, mnt;
  ctx.fd = static_cast<int>(syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC));
  if (ctx.fd < 0) return -1;
  // Two lower layers and no upper: a read-only overlayfs. init's directory on
  // top, so nothing in the other can stand in for it.
  const std::string layers = dir + ":" + lower;
  if (syscall(SYS_fsconfig, ctx.fd, FSCONFIG_SET_STRING, "lowerdir", layers.c_str(), 0) < 0) return -1;
  // Not needed here, and it logs to dmesg when the layers are on different filesystems.
  syscall(SYS_fsconfig, ctx.fd, FSCONFIG_SET_STRING, "xino", "off", 0);
  if (syscall(SYS_fsconfig, ctx.fd, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0) return -1;
  mnt.fd = static_cast<int>(syscall(SYS_fsmount, ctx.fd, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOSUID));
  if (mnt.fd < 0) return -1;
  return openat(mnt.fd, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC);
}

// Moves fd out of the way of `avoid` (the fd number the child's socket takes).
int away_from(int fd, int avoid) {
  if (fd != avoid) return fd;
  int moved = fcntl(fd, F_DUPFD_CLOEXEC, avoid + 1);
  if (moved < 0) throw_errno("fcntl", "cannot move an fd");
  close(fd);
  return moved;
}

}  // namespace

SpawnedInit spawn_init(const std::string &init_path, int preserve_fds, const std::array<int, 3> &stdio) {
  const int target = 3 + preserve_fds;
  Fd init_exe, child_end;
  // Given stdio is copied above every fd the child gets (0 to target), so no
  // dup2 below overwrites one before it is used: [1, 0, 2] swaps, fd 3 is
  // not the socket's.
  Fd given[3];
  for (int i = 0; i < 3; i++) {
    if (stdio[i] < 0) continue;
    given[i].fd = fcntl(stdio[i], F_DUPFD_CLOEXEC, target + 1);
    if (given[i].fd < 0) throw_errno("fcntl", "cannot take stdio fd " + std::to_string(stdio[i]) + " for tsrun-init");
  }
  int sealed = sealed_overlay(init_path);
  init_exe.fd = away_from(sealed >= 0 ? sealed : sealed_copy(init_path), target);
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) throw_errno("socketpair", "init socket");
  Fd parent_end;
  parent_end.fd = sv[0];
  child_end.fd = away_from(sv[1], target);

  posix_spawn_file_actions_t fa;
  posix_spawnattr_t attr;
  posix_spawn_file_actions_init(&fa);
  posix_spawnattr_init(&attr);
  // dup2 clears FD_CLOEXEC on the copy: only the socket and inherited fds cross exec.
  posix_spawn_file_actions_adddup2(&fa, child_end.fd, target);
  // Node marks stdio close-on-exec, and the preserved fds may be too: a dup2
  // onto itself clears the flag in the child (POSIX 2017, glibc >= 2.29).
  for (int fd = 0; fd < target; fd++)
    if (fd <= 2 && given[fd].fd >= 0) posix_spawn_file_actions_adddup2(&fa, given[fd].fd, fd);
    else if (fcntl(fd, F_GETFD) >= 0) posix_spawn_file_actions_adddup2(&fa, fd, fd);
  // Node ignores SIGPIPE and blocks signals in its threads; none of that may reach the container.
  sigset_t all, none;
  sigfillset(&all);
  sigemptyset(&none);
  posix_spawnattr_setsigdefault(&attr, &all);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);

  std::string exe = "/proc/self/fd/" + std::to_string(init_exe.fd);
  std::string env_sock = std::string(kInitSocketEnv) + "=" + std::to_string(target);
  char arg0[] = "tsrun-init";
  char *argv[] = {arg0, nullptr};
  char *envp[] = {env_sock.data(), nullptr};
  pid_t pid;
  int rc = posix_spawn(&pid, exe.c_str(), &fa, &attr, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) {
    errno = rc;
    throw_errno("posix_spawn", "cannot start tsrun-init");
  }
  return SpawnedInit{pid, parent_end.release()};
}

}  // namespace tsrun
