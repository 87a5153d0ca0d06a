#include "limits.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "channel.h"

namespace tsrun {
namespace init {
namespace {

const char *show(rlim_t v, char *buf, size_t n) {
  if (v == RLIM_INFINITY) return "unlimited";
  snprintf(buf, n, "%llu", static_cast<unsigned long long>(v));
  return buf;
}

[[noreturn]] void rlimit_failed(const plan::RlimitPlan &r, int type, const struct rlimit &rl, int err) {
  struct rlimit cur = {};
  getrlimit(static_cast<__rlimit_resource>(type), &cur);
  char a[32], b[32], c[32];
  const char *cfg = r.config_path;
  if (err == EPERM)
    fail("setrlimit", err, cfg,
         "cannot set rlimit %d to soft %s, hard %s: the hard limit is %s and raising it needs CAP_SYS_RESOURCE "
         "(for RLIMIT_NOFILE, also at most fs.nr_open): %s",
         type, show(rl.rlim_cur, a, sizeof a), show(rl.rlim_max, b, sizeof b), show(cur.rlim_max, c, sizeof c),
         errstr(err));
  fail("setrlimit", err, cfg, "cannot set rlimit %d to soft %s, hard %s: %s", type, show(rl.rlim_cur, a, sizeof a),
       show(rl.rlim_max, b, sizeof b), errstr(err));
}

// -1 on the wire is RLIM_INFINITY.
struct rlimit wanted(const plan::RlimitPlan &r) {
  return {static_cast<rlim_t>(r.soft), static_cast<rlim_t>(r.hard)};
}

}  // namespace

void raise_hard_rlimits(const plan::ProcessPlan &proc) {
  for (const plan::RlimitPlan &r : proc.rlimits) {
    int type = static_cast<int>(r.type);
    struct rlimit want = wanted(r), cur = {};
    if (getrlimit(static_cast<__rlimit_resource>(type), &cur) < 0) rlimit_failed(r, type, want, errno);
    // RLIM_INFINITY is the largest rlim_t, so plain comparison orders it right.
    if (want.rlim_max <= cur.rlim_max) continue;
    struct rlimit raised = {cur.rlim_cur, want.rlim_max};
    if (prlimit(0, static_cast<__rlimit_resource>(type), &raised, nullptr) < 0) rlimit_failed(r, type, want, errno);
  }
}

void apply_rlimits(const plan::ProcessPlan &proc) {
  // The plan leaves inheritedNofile out when rlimits set RLIMIT_NOFILE.
  if (const plan::Tuple2 *nofile = proc.inherited_nofile) {
    struct rlimit rl = {static_cast<rlim_t>(nofile->at[0]), static_cast<rlim_t>(nofile->at[1])};
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0) fail("setrlimit", errno, "", "cannot restore RLIMIT_NOFILE: %s", errstr(errno));
  }
  for (const plan::RlimitPlan &r : proc.rlimits) {
    int type = static_cast<int>(r.type);
    struct rlimit rl = wanted(r);
    if (prlimit(0, static_cast<__rlimit_resource>(type), &rl, nullptr) == 0) continue;
    // Only lowering is left, which needs no privilege: a refusal now comes
    // from a seccomp filter loaded earlier (without noNewPrivileges).
    if (errno == EPERM || errno == EACCES)
      fail("setrlimit", errno, r.config_path,
           "cannot set rlimit %d just before exec: %s (does linux.seccomp refuse prlimit64?)", type, errstr(errno));
    rlimit_failed(r, type, rl, errno);
  }
}

void apply_oom_score_adj(const plan::ProcessPlan &proc) {
  if (!proc.oom_score_adj.present) return;
  char buf[16];
  int len = snprintf(buf, sizeof buf, "%lld", static_cast<long long>(proc.oom_score_adj.value));
  int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (fd < 0 || write(fd, buf, len) != len) {
    int err = errno;
    if (err == EACCES || err == EPERM)
      fail("oom_score_adj", err, "/process/oomScoreAdj",
           "cannot set oom_score_adj to %s: lowering it below the current value needs CAP_SYS_RESOURCE (%s)", buf,
           errstr(err));
    fail("oom_score_adj", err, "/process/oomScoreAdj", "cannot set oom_score_adj to %s: %s", buf, errstr(err));
  }
  close(fd);
}

}  // namespace init
}  // namespace tsrun
