#include "cgroup_bpf.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fd.h"
#include "syserror.h"

namespace tsrun {
namespace {

long bpf(int cmd, union bpf_attr *attr) { return syscall(SYS_bpf, cmd, attr, sizeof *attr); }

}  // namespace

void attach_device_program(const std::string &cgroup_dir, const uint8_t *insns, size_t len) {
  Fd dir{open(cgroup_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (dir.fd < 0) throw_errno("open", "cannot open the cgroup " + cgroup_dir);

  static char log[64 * 1024];
  static const char license[] = "Apache";
  union bpf_attr load;
  memset(&load, 0, sizeof load);
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = reinterpret_cast<uint64_t>(insns);
  load.insn_cnt = static_cast<uint32_t>(len / sizeof(struct bpf_insn));
  load.license = reinterpret_cast<uint64_t>(license);
  load.expected_attach_type = BPF_CGROUP_DEVICE;
  strncpy(load.prog_name, "tsrun_devices", sizeof load.prog_name - 1);
  Fd prog{static_cast<int>(bpf(BPF_PROG_LOAD, &load))};
  if (prog.fd < 0) {
    // Load again with the log on, only to say why the verifier refused it.
    int err = errno;
    log[0] = 0;
    load.log_buf = reinterpret_cast<uint64_t>(log);
    load.log_size = sizeof log;
    load.log_level = 1;
    Fd again{static_cast<int>(bpf(BPF_PROG_LOAD, &load))};
    errno = err;
    throw_errno("bpf", std::string("BPF_PROG_LOAD of the device program") + (log[0] ? std::string(" (verifier: ") + log + ")" : ""));
  }

  // ALLOW_MULTI: a program a parent (or systemd) attached keeps running too; all must allow.
  union bpf_attr attach;
  memset(&attach, 0, sizeof attach);
  attach.target_fd = static_cast<uint32_t>(dir.fd);
  attach.attach_bpf_fd = static_cast<uint32_t>(prog.fd);
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, &attach) < 0) throw_errno("bpf", "BPF_PROG_ATTACH of the device program to " + cgroup_dir);
  // The attachment holds the program now; our fds may go.
}

}  // namespace tsrun
