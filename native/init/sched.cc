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

void apply_scheduler(const wire::Value *proc) {
  const wire::Value *s = wire::get(proc, "scheduler");
  if (!s) return;
  SchedAttr attr = {};
  attr.size = sizeof attr;
  attr.sched_policy = static_cast<uint32_t>(wire::get_int(s, "policy"));
  attr.sched_flags = static_cast<uint64_t>(wire::get_int(s, "flags"));
  attr.sched_nice = static_cast<int32_t>(wire::get_int(s, "nice"));
  attr.sched_priority = static_cast<uint32_t>(wire::get_int(s, "priority"));
  attr.sched_runtime = static_cast<uint64_t>(wire::get_int(s, "runtime"));
  attr.sched_deadline = static_cast<uint64_t>(wire::get_int(s, "deadline"));
  attr.sched_period = static_cast<uint64_t>(wire::get_int(s, "period"));
  if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
    fail("sched_setattr", errno, "/process/scheduler",
         errno == EINVAL ? "the kernel refused this policy with these parameters: %s"
                         : "cannot set the scheduling policy: %s",
         errstr(errno));
}

void apply_io_priority(const wire::Value *proc) {
  const wire::Value *v = wire::get(proc, "ioPriority");
  if (!v || v->kind != 'i') return;
  if (syscall(SYS_ioprio_set, kIoprioWhoProcess, 0, static_cast<int>(v->num)) < 0)
    fail("ioprio_set", errno, "/process/ioPriority", "cannot set the I/O priority: %s", errstr(errno));
}

void apply_cpu_affinity(const wire::Value *proc, const char *key) {
  const wire::Value *cpus = wire::get(proc, key);
  if (wire::count(cpus) == 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  for (uint32_t i = 0; i < wire::count(cpus); i++) CPU_SET(static_cast<int>(wire::at(cpus, i)->num), &set);
  if (sched_setaffinity(0, sizeof set, &set) < 0) {
    const char *cfg = key[11] == 'I' ? "/process/execCPUAffinity/initial" : "/process/execCPUAffinity/final";
    fail("sched_setaffinity", errno, cfg,
         errno == EINVAL ? "none of these CPUs is online and allowed: %s" : "cannot set the CPU affinity: %s",
         errstr(errno));
  }
}

}  // namespace init
}  // namespace tsrun
