// tsrun-init: the small static program that becomes the container's init.
// The parent (tsrun, in node) execs it from a sealed memfd and sends it one
// plan; it does the in-container setup in the order below, waits on exec.fifo,
// and execs the user's process. Nothing of node is copied into the container.
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../protocol.h"
#include "channel.h"
#include "devices.h"
#include "exec.h"
#include "hooks.h"
#include "idmap.h"
#include "host-mounts.h"
#include "limits.h"
#include "masks.h"
#include "sysctl.h"
#include "sched.h"
#include "mounts.h"
#include "namespaces.h"
#include "netdev.h"
#include "pidfd.h"
#include "process.h"
#include "plan-load.h"
#include "wire.h"

using namespace tsrun;
using namespace tsrun::init;

namespace {

void run_create(LoadedPlan *loaded) {
  const plan::CreatePlan &plan = *loaded->create;
  const plan::ProcessPlan &proc = plan.process;
  // While we are still the host's root in the host's namespaces.
  apply_oom_score_adj(proc);
  apply_cpu_affinity(proc.cpu_affinity_initial, "/process/execCPUAffinity/initial");
  // exec.fifo by its host path, before any namespace or uid change can make
  // the state dir unreachable; the O_PATH fd goes with us into the container.
  Exec ex = {};
  open_fifo(plan.fifo_path, &ex);
  // Relative paths in mount data (overlay's lowerdir=…) are the bundle's, as with runc.
  const char *bundle = plan.bundle;
  if (chdir(bundle) < 0) fail("chdir", errno, "", "cannot enter the bundle %s: %s", bundle, errstr(errno));
  // Without a mount namespace the mounts are the host's: their record in the
  // state dir is opened now, while we are the host's root.
  int host_mount_record = open_host_mount_record(plan);
  // Idmapped mounts are made here, as the host's root, whatever namespaces follow.
  prepare_idmapped_mounts(plan.mounts);
  // The devices' indexes and addresses, and a netlink socket, in the host's network namespace.
  prepare_net_devices(plan.net_devices);
  // 1-2. uid/gid maps and cgroup placement are synced inside; returns in the
  // container's init (the clone), stage 0 exits there.
  enter_namespaces(plan.namespaces, plan.cgroup_sync, plan.cgroup_into, plan.time_offsets, plan.hostname || plan.domainname);
  move_net_devices();
  // setns into a mount namespace moved our cwd to its root: back to the bundle, as seen in there.
  bool joined_mnt = plan.joined_mount_namespace;
  if (joined_mnt && chdir(bundle) < 0)
    fail("chdir", errno, "/linux/namespaces", "cannot enter the bundle %s in the joined mount namespace: %s", bundle, errstr(errno));

  // 3. mounts, with / made slave before the first one: in a new mount
  // namespace, or a joined one (runc prepares the rootfs and pivots in there).
  if (plan.new_mount_namespace || joined_mnt) {
    mount_rootfs(plan);
    make_devices(plan);
  } else if (host_mount_record >= 0) {
    mount_on_host(plan, host_mount_record);
    make_devices(plan);  // only into a /dev the config mounts: the plan lists none otherwise
  }
  // Nothing after this reads the mounts; 2,000 of them take ~2 MB decoded.
  release_mounts(loaded);
  // 4. prestart/createRuntime hooks run in the parent while we wait; then
  // createContainer, here in the container's namespaces.
  HookStates hook_states;
  if (plan.hooks_sync) hook_states = sync_hooks();
  run_create_container_hooks(plan.hooks, plan.rootfs, hook_states);
  // 5. pivot_root (chroot without a mount namespace).
  enter_rootfs(plan);
  // 5a. inside the new root: sysctl, then readonly and masked paths, as runc orders them.
  apply_sysctl(plan.sysctl);
  apply_path_masks(plan);
  setup_container(proc, true, plan.hostname, plan.domainname, plan.session_keyring);
  send_own_pidfd(false);
  setup_process(proc, &ex);
  check_fifo_reachable(&ex);
  // 6. the parent records the state and pid file; then we are "created".
  send_empty(MSG_CREATED);
  wait_ack();
  close(g_sock);
  g_sock = -1;
  // 7. wait on exec.fifo; startContainer hooks; 10. exec.
  int start_fd = wait_for_start(&ex);
  run_start_container_hooks(plan.hooks, hook_states, start_fd);
  signal_start(start_fd);
  exec_process(proc, &ex);
}

}  // namespace

int main() {
  // Non-dumpable: no process in the container may open our /proc/<pid>/fd or
  // /proc/<pid>/exe while we hold host fds (the CVE-2019-5736 class).
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  // Exec'd from a memfd our name would be an fd number; say what we are in ps.
  prctl(PR_SET_NAME, "tsrun-init", 0, 0, 0);
  // Device nodes and mount points get exactly the modes asked for; the
  // process gets its own umask just before exec.
  umask(0);
  const char *sock = getenv(kInitSocketEnv);
  if (!sock) {
    static const char msg[] = "tsrun-init is started by tsrun, not by hand\n";
    ssize_t ignored = write(2, msg, sizeof msg - 1);
    (void)ignored;
    return 2;
  }
  g_sock = atoi(sock);
  unsetenv(kInitSocketEnv);
  // Before anything is resolved: only the fds we were given may stay. A fd the
  // caller leaked (no CLOEXEC) would otherwise be held open while we wait, and
  // a directory among them is a way out of the rootfs through /proc/self/fd/N
  // (the CVE-2024-21626 class). Ours are stdio, the --preserve-fds and
  // LISTEN_FDS at 3 .. g_sock-1 (native/spawn.cc), and the socket at g_sock.
  if (g_sock < 3) return 2;
  if (syscall(SYS_close_range, g_sock + 1, ~0U, 0) < 0)  // ENOSYS before Linux 5.9
    for (long fd = g_sock + 1, max = sysconf(_SC_OPEN_MAX); fd < max; fd++) close(static_cast<int>(fd));

  uint32_t type = 0;
  wire::Value *tree = recv_message(&type);
  if (!tree) return 1;
  if (type != MSG_PLAN) fail("recv", EPROTO, "", "expected a plan, got message %u", type);
  // The one decode of the plan: strict, so a key either side misspells fails here, by name.
  LoadedPlan loaded;
  plan::DecodeError err;
  if (!load_plan(tree, &loaded, &err)) fail("plan", EPROTO, "", "the plan from tsrun does not fit this tsrun-init: %s: %s", err.path, err.reason);
  const plan::ProcessPlan &proc = loaded.create ? loaded.create->process : loaded.exec->process;
  receive_pidfd_socket(proc);
  if (loaded.create) run_create(&loaded);
  run_exec(*loaded.exec);
}
