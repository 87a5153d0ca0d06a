// linux.seccomp compiled in the parent: libseccomp builds the filter and
// exports it as classic BPF, which tsrun-init hands to seccomp(2) with no
// libseccomp of its own. src/runtime/seccomp.ts validates the config and
// turns every name it can into a number before calling this.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace tsrun {

struct SeccompArg {
  uint32_t index;
  uint32_t op;  // enum scmp_compare
  uint64_t value;
  uint64_t value_two;
};

// One seccomp_rule_add per name, its args ANDed.
struct SeccompRule {
  int source;  // index in linux.seccomp.syscalls, for errors
  uint32_t action;  // SCMP_ACT_* with its errno/trace data
  std::vector<std::string> names;
  std::vector<SeccompArg> args;
};

struct SeccompSpec {
  uint32_t default_action;
  std::vector<std::string> architectures;  // libseccomp's names: "x86_64", "x32", "aarch64"
  std::vector<SeccompRule> rules;
  // Prepend the -ENOSYS prologue, computed from every name in the profile
  // (including rules skipped for matching the default action).
  bool enosys;
  std::vector<std::string> enosys_names;
  bool optimize;  // libseccomp's binary tree, for long profiles
};

struct CompiledSeccomp {
  std::vector<uint8_t> bpf;  // struct sock_filter[], host byte order
  std::vector<std::string> unknown;  // names libseccomp does not know: skipped
};

// source: the rule (index in linux.seccomp.syscalls) or -1; arch: an index
// into architectures or -1. err: the libseccomp/errno code, positive.
struct SeccompError : std::runtime_error {
  int err;
  int source;
  int arch;
  SeccompError(const std::string &what, int e, int src = -1, int a = -1)
      : std::runtime_error(what), err(e), source(src), arch(a) {}
};

CompiledSeccomp compile_seccomp(const SeccompSpec &spec);

// What this kernel and libseccomp can do.
struct SeccompSupport {
  uint32_t flags;  // SECCOMP_FILTER_FLAG_* bits seccomp(2) accepts
  std::vector<uint32_t> actions;  // SECCOMP_RET_* actions it knows
  std::string libseccomp;  // "2.5.4"
};
SeccompSupport probe_seccomp();

// Those of names (libseccomp's lowercase names: "x86_64", "x32", "riscv64")
// that the linked libseccomp resolves, in their order: what this build can
// filter, asked of the library rather than inferred from its version.
std::vector<std::string> known_seccomp_archs(const std::vector<std::string> &names);

}  // namespace tsrun
