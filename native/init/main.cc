// tsrun-init: the small static program that becomes the container's init.
// The parent (tsrun, in node) execs it from a sealed memfd and sends it one
// plan; it does the in-container setup in the order below, waits on exec.fifo,
// and execs the user's process. Nothing of node is copied into the container.
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../protocol.h"
#include "channel.h"
#include "devices.h"
#include "mounts.h"
#include "namespaces.h"
#include "process.h"
#include "wire.h"

using namespace tsrun;
using namespace tsrun::init;

namespace {

void run_create(const wire::Value *plan) {
  // 1-2. uid/gid maps and cgroup placement are synced inside; returns in the
  // container's init (the clone), stage 0 exits there.
  enter_namespaces(plan);

  Exec ex = {};
  // 3. mounts, with / made slave before the first one.
  if (wire::get_bool(plan, "newMountNamespace")) {
    mount_rootfs(plan);
    make_devices(plan);
  }
  open_fifo(plan, &ex);
  // 4. prestart/createRuntime hooks run in the parent while we wait.
  if (wire::get_bool(plan, "hooksSync")) {
    send_empty(MSG_HOOKS_READY);
    wait_ack();
  }
  // 5. pivot_root.
  enter_rootfs(plan);
  prepare_process(plan, &ex);
  // 6. the parent records the state and pid file; then we are "created".
  send_empty(MSG_CREATED);
  wait_ack();
  close(g_sock);
  g_sock = -1;
  // 7. wait on exec.fifo; 10. exec.
  wait_for_start(&ex);
  exec_process(plan, &ex);
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

  uint32_t type = 0;
  wire::Value *plan = recv_message(&type);
  if (!plan) return 1;
  if (type != MSG_PLAN) fail("recv", EPROTO, "", "expected a plan, got message %u", type);
  const char *mode = wire::get_str(plan, "mode", "");
  if (strcmp(mode, "create") == 0) run_create(plan);
  fail("init", EINVAL, "", "unknown mode '%s'", mode);
}
