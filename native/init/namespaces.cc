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

#include "channel.h"
#include "loopback.h"

namespace tsrun {
namespace init {
namespace {

struct NsKind {
  const char *name;
  int flag;
};

constexpr NsKind kKinds[] = {
    {"pid", CLONE_NEWPID},     {"network", CLONE_NEWNET}, {"mount", CLONE_NEWNS},
    {"ipc", CLONE_NEWIPC},     {"uts", CLONE_NEWUTS},     {"user", CLONE_NEWUSER},
    {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
};

int flag_of(const char *name) {
  for (const NsKind &k : kKinds)
    if (strcmp(k.name, name) == 0) return k.flag;
  return 0;
}

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
void join(const wire::Value *plan, const wire::Value *ns, int fd) {
  const char *type = wire::get_str(ns, "type", "");
  const char *cfg = wire::get_str(ns, "configPath", "");
  // setns checks the type for us: a path to another kind of namespace, or to
  // a file that is no namespace at all, fails with EINVAL.
  int actual = ioctl(fd, NS_GET_NSTYPE);
  if (actual >= 0 && actual != flag_of(type))
    fail("setns", EINVAL, cfg, "%s is not a %s namespace", wire::get_str(ns, "path", ""), type);
  if (actual < 0 && errno == ENOTTY)
    fail("setns", EINVAL, cfg, "%s is not a namespace file (use /proc/<pid>/ns/... or a bind mount of one)",
         wire::get_str(ns, "path", ""));
  // The plan refused tsrun's own uts namespace by path; this checks the file we opened.
  if (flag_of(type) == CLONE_NEWUTS && (wire::get_str(plan, "hostname") || wire::get_str(plan, "domainname")) &&
      is_own_namespace(fd, g_own_uts))
    fail("setns", EPERM, cfg, "%s is the host's own uts namespace; setting a hostname or domainname there would rename the host",
         wire::get_str(ns, "path", ""));
  // The plan refused tsrun's own mount namespace by path: pivot_root in it would move the whole host's root.
  if (flag_of(type) == CLONE_NEWNS && is_own_namespace(fd, g_own_mnt))
    fail("setns", EPERM, cfg, "%s is the host's own mount namespace; pivot_root there would move the root of every process on the host",
         wire::get_str(ns, "path", ""));
  if (setns(fd, flag_of(type)) < 0)
    fail("setns", errno, cfg, "cannot join the %s namespace at %s: %s", type,
         wire::get_str(ns, "path", ""), errstr(errno));
  close(fd);
}

}  // namespace

void enter_namespaces(const wire::Value *plan) {
  const wire::Value *list = wire::get(plan, "namespaces");
  uint32_t n = wire::count(list);
  int fds[16];
  int new_flags = 0;
  if (n > 16) fail("namespaces", EINVAL, "/linux/namespaces", "too many namespaces (%u)", n);

  read_own_namespaces();
  // Open every path first: joining the mount namespace changes what later paths mean.
  for (uint32_t i = 0; i < n; i++) {
    const wire::Value *ns = wire::at(list, i);
    const char *type = wire::get_str(ns, "type", "");
    const char *path = wire::get_str(ns, "path");
    int flag = flag_of(type);
    if (!flag) fail("namespaces", EINVAL, wire::get_str(ns, "configPath", ""), "unknown namespace type %s", type);
    fds[i] = -1;
    if (!path) {
      new_flags |= flag;
      continue;
    }
    fds[i] = open(path, O_RDONLY | O_CLOEXEC);
    if (fds[i] < 0)
      fail("open", errno, wire::get_str(ns, "configPath", ""), "cannot open namespace %s: %s", path, errstr(errno));
  }

  // The user namespace comes first, so the others are owned by it.
  for (uint32_t i = 0; i < n; i++)
    if (fds[i] >= 0 && flag_of(wire::get_str(wire::at(list, i), "type", "")) == CLONE_NEWUSER) {
      join(plan, wire::at(list, i), fds[i]);
      fds[i] = -1;
      // setns gave us every capability in it; become its root so what we create is owned by a mapped id.
      if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
        fail("setresuid", errno, wire::get_str(wire::at(list, i), "configPath", ""),
             "cannot become root in the joined user namespace (is 0 mapped in it?): %s", errstr(errno));
    }
  if (new_flags & CLONE_NEWUSER) {
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
  }
  for (uint32_t i = 0; i < n; i++)
    if (fds[i] >= 0) join(plan, wire::at(list, i), fds[i]);

  if (wire::get_bool(plan, "cgroupSync")) {
    // Placement happens before the clone, so the cgroup namespace (made by the
    // clone) is rooted at the container's own cgroup.
    const char *keys[] = {"pid"};
    int64_t vals[] = {getpid()};
    send_ints(MSG_CGROUP_READY, keys, vals, 1);
    wait_ack();
  }

  if (new_flags & CLONE_NEWTIME) {
    // clone(2) has no bit for it: unshare makes our children's time namespace,
    // whose offsets must be written before any process is in it.
    if (unshare(CLONE_NEWTIME) < 0)
      fail("unshare", errno, "/linux/namespaces", "cannot create a time namespace: %s", errstr(errno));
    const char *offsets = wire::get_str(plan, "timeOffsets");
    if (offsets) {
      int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
      ssize_t len = static_cast<ssize_t>(strlen(offsets));
      if (fd < 0 || write(fd, offsets, len) != len)
        fail("timens_offsets", errno, "/linux/timeOffsets", "the kernel refused the time offsets: %s", errstr(errno));
      close(fd);
    }
  }

  // The child must not speak on the shared socket before the parent knows its pid.
  int gate[2];
  if (pipe2(gate, O_CLOEXEC) < 0) fail("pipe", errno, "", "%s", errstr(errno));
  int clone_flags = (new_flags & ~(CLONE_NEWUSER | CLONE_NEWTIME)) | CLONE_PARENT | SIGCHLD;
  long child = syscall(SYS_clone, clone_flags, 0, 0, 0, 0);
  if (child < 0) fail("clone", errno, "/linux/namespaces", "cannot create the container's namespaces: %s", errstr(errno));
  if (child == 0) {
    close(gate[1]);
    char c;
    ssize_t r;
    do r = read(gate[0], &c, 1); while (r < 0 && errno == EINTR);
    if (r != 1) _exit(1);  // stage 0 died before reporting us
    close(gate[0]);
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
