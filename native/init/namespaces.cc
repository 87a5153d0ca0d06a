#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup-clone.h"
#include "channel.h"
#include "loopback.h"

namespace tsrun {
namespace init {
namespace {

// Our own uts and mount namespaces, read before any setns (a joined mount
// namespace changes what /proc means).
struct stat g_own_uts, g_own_mnt;

void read_own_namespaces() {
  if (stat("/proc/self/ns/uts", &g_own_uts) < 0 || stat("/proc/self/ns/mnt", &g_own_mnt) < 0)
    fail("stat", errno, "/linux/namespaces", "cannot read our own namespaces in /proc/self/ns: %s", errstr(errno));
}

// Is the namespace behind fd the one we were in?
bool is_own_namespace(int fd, const struct stat &ours) {
  struct stat theirs;
  return fstat(fd, &theirs) == 0 && theirs.st_dev == ours.st_dev && theirs.st_ino == ours.st_ino;
}

// setns() into the namespace at ns.path, checking it is of the declared type.
void join(const plan::NamespacePlan &ns, int fd, bool sets_uts_names) {
  const char *type = ns.type;
  const char *cfg = ns.config_path;
  int flag = static_cast<int>(ns.clone_flag);
  // setns checks the type for us: a path to another kind of namespace, or to
  // a file that is no namespace at all, fails with EINVAL.
  int actual = ioctl(fd, NS_GET_NSTYPE);
  if (actual >= 0 && actual != flag) fail("setns", EINVAL, cfg, "%s is not a %s namespace", ns.path, type);
  if (actual < 0 && errno == ENOTTY)
    fail("setns", EINVAL, cfg, "%s is not a namespace file (use /proc/<pid>/ns/... or a bind mount of one)", ns.path);
  // The plan refused tsrun's own uts namespace by path; this checks the file we opened.
  if (flag == CLONE_NEWUTS && sets_uts_names && is_own_namespace(fd, g_own_uts))
    fail("setns", EPERM, cfg, "%s is the host's own uts namespace; setting a hostname or domainname there would rename the host",
         ns.path);
  // The plan refused tsrun's own mount namespace by path: pivot_root in it would move the whole host's root.
  if (flag == CLONE_NEWNS && is_own_namespace(fd, g_own_mnt))
    fail("setns", EPERM, cfg, "%s is the host's own mount namespace; pivot_root there would move the root of every process on the host",
         ns.path);
  if (setns(fd, flag) < 0) fail("setns", errno, cfg, "cannot join the %s namespace at %s: %s", type, ns.path, errstr(errno));
  close(fd);
}

}  // namespace

void enter_namespaces(const plan::List<plan::NamespacePlan> &namespaces, bool cgroup_sync, const plan::CloneTarget *cgroup_into,
                      const char *time_offsets, bool sets_uts_names) {
  uint32_t n = namespaces.count;
  int fds[16];
  int new_flags = 0;
  if (n > 16) fail("namespaces", EINVAL, "/linux/namespaces", "too many namespaces (%u)", n);

  read_own_namespaces();
  // Before any setns: the cgroup v2 hierarchy the child is cloned into, if it
  // can be (only with the sync point, where the parent prepares the cgroup).
  CgroupClone cgroup_clone = prepare_cgroup_clone(cgroup_sync ? cgroup_into : nullptr);
  // Cloned into a cgroup, the child joins a cgroup namespace itself: the
  // kernel allows clone3 into a cgroup only below our cgroup namespace's root.
  int child_joins = -1;
  // Open every path first: joining the mount namespace changes what later paths mean.
  for (uint32_t i = 0; i < n; i++) {
    const plan::NamespacePlan &ns = namespaces[i];
    fds[i] = -1;
    if (!ns.path) {
      new_flags |= static_cast<int>(ns.clone_flag);
      continue;
    }
    fds[i] = open(ns.path, O_RDONLY | O_CLOEXEC);
    if (fds[i] < 0) fail("open", errno, ns.config_path, "cannot open namespace %s: %s", ns.path, errstr(errno));
  }

  // In the plan's order, which puts the user namespace first so it owns the
  // others; the rest new are made by the clone below.
  for (uint32_t i = 0; i < n; i++) {
    const plan::NamespacePlan &ns = namespaces[i];
    if (ns.clone_flag == CLONE_NEWUSER && fds[i] >= 0) {
      join(ns, fds[i], sets_uts_names);
      // setns gave us every capability in it; become its root so what we create is owned by a mapped id.
      if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
        fail("setresuid", errno, ns.config_path, "cannot become root in the joined user namespace (is 0 mapped in it?): %s",
             errstr(errno));
    } else if (ns.clone_flag == CLONE_NEWUSER) {
      if (unshare(CLONE_NEWUSER) < 0) fail("unshare", errno, "/linux/namespaces", "cannot create a user namespace: %s", errstr(errno));
      // init was exec'd before this unshare, so it keeps its capabilities in the
      // new namespace; the parent writes the maps while we wait here.
      // Dumpable while the parent writes: else /proc/<pid>/{uid_map,gid_map,setgroups}
      // belong to host root and an unprivileged parent (rootless) cannot open them.
      // Nothing of the container runs yet; we are non-dumpable again before it does.
      prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
      const char *keys[] = {"pid"};
      int64_t vals[] = {getpid()};
      send_ints(MSG_USERNS_READY, keys, vals, 1);
      wait_ack();
      prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
      if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
        fail("setresuid", errno, "/linux/uidMappings", "cannot become root in the new user namespace: %s", errstr(errno));
    } else if (fds[i] >= 0 && ns.clone_flag == CLONE_NEWCGROUP && cgroup_clone.mount_fd >= 0) {
      child_joins = static_cast<int>(i);
    } else if (fds[i] >= 0) {
      join(ns, fds[i], sets_uts_names);
    }
  }

  int cgroup_fd = -1;
  if (cgroup_sync) {
    // Placement happens before the clone, so the cgroup namespace (made by the
    // clone) is rooted at the container's own cgroup. unifiedByClone: the
    // parent leaves the unified hierarchy to clone3, and stage 0 outside it.
    const char *keys[] = {"pid", "unifiedByClone"};
    int64_t vals[] = {getpid(), cgroup_clone.mount_fd >= 0};
    send_ints(MSG_CGROUP_READY, keys, vals, 2);
    wait_ack();
    cgroup_fd = open_cgroup_target(&cgroup_clone);
  }

  if (new_flags & CLONE_NEWTIME) {
    // clone(2) has no bit for it: unshare makes our children's time namespace,
    // whose offsets must be written before any process is in it.
    if (unshare(CLONE_NEWTIME) < 0)
      fail("unshare", errno, "/linux/namespaces", "cannot create a time namespace: %s", errstr(errno));
    if (time_offsets) {
      int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
      ssize_t len = static_cast<ssize_t>(strlen(time_offsets));
      if (fd < 0 || write(fd, time_offsets, len) != len)
        fail("timens_offsets", errno, "/linux/timeOffsets", "the kernel refused the time offsets: %s", errstr(errno));
      close(fd);
    }
  }

// The child must not speak on the shared socket before the parent knows its pid.
  int gate[2];
  if (pipe2(gate, O_CLOEXEC) < 0) fail("pipe", errno, "", "%s", errstr(errno));
  int clone_flags = (new_flags & ~(CLONE_NEWUSER | CLONE_NEWTIME)) | CLONE_PARENT;
  long child = clone_process(clone_flags, cgroup_fd);
  int clone_errno = errno;
  if (child < 0 && cgroup_fd >= 0)
    fail("clone3", clone_errno, cgroup_clone.config_path, "cannot create the process in its cgroup %s (clone3 CLONE_INTO_CGROUP): %s%s",
         cgroup_clone.path, errstr(clone_errno),
         clone_errno == EBUSY || clone_errno == EOPNOTSUPP ? " (cgroup v2 puts processes only in leaves, and this one has controllers on for its children)" : "");
  if (child < 0) fail("clone", clone_errno, "/linux/namespaces", "cannot create the container's namespaces: %s", errstr(clone_errno));
  if (child == 0) {
    close(gate[1]);
    if (cgroup_fd >= 0) close(cgroup_fd);
    char c;
    ssize_t r;
    do r = read(gate[0], &c, 1); while (r < 0 && errno == EINTR);
    if (r != 1) _exit(1);  // stage 0 died before reporting us
    close(gate[0]);
    if (child_joins >= 0) join(namespaces[child_joins], fds[child_joins], sets_uts_names);
    if (new_flags & CLONE_NEWNET) bring_up_loopback();
    return;
  }
  const char *keys[] = {"pid"};
  int64_t vals[] = {child};
  send_ints(MSG_CHILD_PID, keys, vals, 1);
  ssize_t w;
  do w = write(gate[1], "1", 1); while (w < 0 && errno == EINTR);
  _exit(0);
}

}  // namespace init
}  // namespace tsrun
