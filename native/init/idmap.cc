#include "idmap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "channel.h"

namespace tsrun {
namespace init {

namespace {

struct Made {
  const plan::MountPlan *mount;
  int fd;
};
Made *g_made = nullptr;
uint32_t g_count = 0;

void write_map(pid_t pid, const char *file, const char *text, const char *cfg) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/%s", pid, file);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) fail("idmap", errno, cfg, "cannot open %s of the mapping's user namespace: %s", file, errstr(errno));
  size_t len = strlen(text);
  if (write(fd, text, len) != static_cast<ssize_t>(len))
    fail("idmap", errno, cfg, "the kernel refused the mount's %s (%s)", file, errstr(errno));
  close(fd);
}

// A user namespace that holds only the maps: a child unshares it and waits
// (for EOF on a pipe) while we write its maps and open it; then it exits.
int make_userns(const plan::IdmapPlan &idmap, const char *cfg) {
  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) < 0) fail("idmap", errno, cfg, "pipe: %s", errstr(errno));
  pid_t pid = fork();
  if (pid < 0) fail("idmap", errno, cfg, "cannot fork for the mapping's user namespace: %s", errstr(errno));
  if (pid == 0) {
    close(pipefd[1]);
    if (unshare(CLONE_NEWUSER) < 0) _exit(1);
    char c;
    ssize_t ignored = read(pipefd[0], &c, 1);
    (void)ignored;
    _exit(0);
  }
  close(pipefd[0]);
  // Wait until the child is in its own user namespace: its ns link differs from ours.
  char self_ns[64] = {}, child_ns[64] = {}, path[64];
  readlink("/proc/self/ns/user", self_ns, sizeof self_ns - 1);
  snprintf(path, sizeof path, "/proc/%d/ns/user", pid);
  for (int tries = 0; tries < 5000; tries++) {
    memset(child_ns, 0, sizeof child_ns);
    if (readlink(path, child_ns, sizeof child_ns - 1) < 0 || strcmp(child_ns, self_ns) != 0) break;
    int status;
    if (waitpid(pid, &status, WNOHANG) == pid) fail("idmap", EPERM, cfg, "cannot create a user namespace for the mount's mapping");
    usleep(200);
  }
  // gid_map first, as for the container's own user namespace.
  write_map(pid, "gid_map", idmap.gid_map, cfg);
  write_map(pid, "uid_map", idmap.uid_map, cfg);
  int ns = open(path, O_RDONLY | O_CLOEXEC);
  int open_errno = errno;
  close(pipefd[1]);
  waitpid(pid, nullptr, 0);
  if (ns < 0) fail("idmap", open_errno, cfg, "cannot open the mapping's user namespace: %s", errstr(open_errno));
  return ns;
}

int make_idmapped(const plan::MountPlan &m) {
  const char *cfg = m.config_path;
  const char *source = m.source;
  bool rec_bind = m.flags & MS_REC;
  bool rec_map = m.idmap->recursive;
  int userns = make_userns(*m.idmap, cfg);
  int tree = static_cast<int>(syscall(SYS_open_tree, AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (rec_bind ? AT_RECURSIVE : 0)));
  if (tree < 0) fail("open_tree", errno, cfg, "bind source %s: %s", source, errstr(errno));
  struct mount_attr attr = {};
  attr.attr_set = MOUNT_ATTR_IDMAP;
  attr.userns_fd = static_cast<uint64_t>(userns);
  if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | (rec_map ? AT_RECURSIVE : 0), &attr, sizeof attr) < 0) {
    int e = errno;
    if (e == EINVAL)
      fail("mount_setattr", e, cfg, "cannot idmap %s: this filesystem cannot be idmapped (%s)", source, errstr(e));
    fail("mount_setattr", e, cfg,
         e == ENOSYS ? "idmapped mounts need mount_setattr, Linux 5.12+ (%s: %s)" : "cannot idmap %s: %s", source, errstr(e));
  }
  close(userns);
  return tree;
}

}  // namespace

void prepare_idmapped_mounts(const plan::List<plan::MountPlan> &mounts) {
  uint32_t n = mounts.count;
  for (const plan::MountPlan &m : mounts) {
    if (!m.idmap) continue;
    if (!g_made) {
      g_made = static_cast<Made *>(calloc(n, sizeof(Made)));
      if (!g_made) fail("alloc", ENOMEM, "", "out of memory");
    }
    g_made[g_count++] = {&m, make_idmapped(m)};
  }
}

int idmapped_mount_fd(const plan::MountPlan &m) {
  for (uint32_t i = 0; i < g_count; i++)
    if (g_made[i].mount == &m) return g_made[i].fd;
  return -1;
}

}  // namespace init
}  // namespace tsrun
