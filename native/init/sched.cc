#include "sched.h"

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "channel.h"

namespace tsrun {
namespace init {
namespace {

// struct sched_attr (include/uapi/linux/sched/types.h); glibc 2.36 has no wrapper.
struct SchedAttr {
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
};

constexpr int kIoprioWhoProcess = 1;

}  // namespace

void apply_scheduler(const plan::ProcessPlan &proc) {
  const plan::SchedulerPlan *s = proc.scheduler;
  if (!s) return;
  SchedAttr attr = {};
  attr.size = sizeof attr;
  attr.sched_policy = static_cast<uint32_t>(s->policy);
  attr.sched_flags = static_cast<uint64_t>(s->flags);
  attr.sched_nice = static_cast<int32_t>(s->nice);
  attr.sched_priority = static_cast<uint32_t>(s->priority);
  attr.sched_runtime = static_cast<uint64_t>(s->runtime);
  attr.sched_deadline = static_cast<uint64_t>(s->deadline);
  attr.sched_period = static_cast<uint64_t>(s->period);
  if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
    fail("sched_setattr", errno, "/process/scheduler",
         errno == EINVAL ? "the kernel refused this policy with these parameters: %s"
                         : "cannot set the scheduling policy: %s",
         errstr(errno));
}

void apply_io_priority(const plan::ProcessPlan &proc) {
  if (!proc.io_priority.present) return;
  if (syscall(SYS_ioprio_set, kIoprioWhoProcess, 0, static_cast<int>(proc.io_priority.value)) < 0)
    fail("ioprio_set", errno, "/process/ioPriority", "cannot set the I/O priority: %s", errstr(errno));
}

void apply_cpu_affinity(const plan::List<int64_t> &cpus, const char *cfg) {
  if (cpus.count == 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int64_t cpu : cpus) CPU_SET(static_cast<int>(cpu), &set);
  if (sched_setaffinity(0, sizeof set, &set) < 0) {
    fail("sched_setaffinity", errno, cfg,
         errno == EINVAL ? "none of these CPUs is online and allowed: %s" : "cannot set the CPU affinity: %s",
         errstr(errno));
  }
}

}  // namespace init
}  // namespace tsrun
