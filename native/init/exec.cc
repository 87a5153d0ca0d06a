#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "channel.h"
#include "limits.h"
#include "namespaces.h"
#include "pidfd.h"
#include "process.h"
#include "sched.h"

namespace tsrun {
namespace init {

void run_exec(const plan::ExecPlan &plan) {
  const plan::ProcessPlan &proc = plan.process;
  // While we are still the host's root in the host's namespaces.
  apply_oom_score_adj(proc);
  apply_cpu_affinity(proc.cpu_affinity_initial, "/process/execCPUAffinity/initial");
  // A container without a mount namespace has a chroot for its root: the
  // init's, opened with the namespaces so the parent's pid check covers it.
  const char *chroot_from = plan.chroot_from;
  int root = chroot_from ? open(chroot_from, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
  if (chroot_from && root < 0) fail("open", errno, "", "cannot open the container's root %s: %s", chroot_from, errstr(errno));
  // Joins the user namespace first, then the rest, and forks: we go on in
  // the child, inside the container's pid namespace.
  enter_namespaces(plan.namespaces, plan.cgroup_sync, plan.cgroup_into, nullptr, false);
  // The parent checks that the namespaces we opened were the container's
  // init's, not those of a process that reused its pid, before we go on.
  wait_ack();
  if (root >= 0) {
    if (fchdir(root) < 0 || chroot(".") < 0 || chdir("/") < 0)
      fail("chroot", errno, "", "cannot enter the container's root: %s", errstr(errno));
    close(root);
  }

  Exec ex = {};
  // A session of our own and the container's session keyring, as runc's
  // exec gives them; the exec plan has no hostname, so none is set.
  setup_container(proc, false, nullptr, nullptr, plan.session_keyring);
  send_own_pidfd(true);
  setup_process(proc, &ex);
  // A uid change resets dumpable to fs.suid_dumpable, which may be 1: stay
  // non-dumpable while we still hold the socket (the CVE-2019-5736 class).
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
  exec_process(proc, &ex);
}

}  // namespace init
}  // namespace tsrun
