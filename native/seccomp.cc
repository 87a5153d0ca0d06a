#include "seccomp.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>

#include "fd.h"

namespace tsrun {
namespace {

struct Ctx {
  scmp_filter_ctx ctx;
  explicit Ctx(uint32_t def) : ctx(seccomp_init(def)) {
    if (!ctx) throw SeccompError("libseccomp refused the default action", EINVAL);
  }
  ~Ctx() { seccomp_release(ctx); }
};

std::string lib_error(const std::string &what, int rc) {
  return what + ": " + strerror(-rc);
}

std::vector<uint8_t> export_bpf(scmp_filter_ctx ctx) {
  // libseccomp 2.5 exports only to an fd.
  Fd mfd{memfd_create("tsrun-seccomp", MFD_CLOEXEC)};
  if (mfd.fd < 0) throw SeccompError(std::string("memfd_create: ") + strerror(errno), errno);
  int rc = seccomp_export_bpf(ctx, mfd.fd);
  if (rc < 0) throw SeccompError(lib_error("libseccomp could not export the filter", rc), -rc);
  off_t size = lseek(mfd.fd, 0, SEEK_END);
  if (size < 0) throw SeccompError(std::string("lseek: ") + strerror(errno), errno);
  std::vector<uint8_t> out(size);
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = pread(mfd.fd, out.data() + got, out.size() - got, got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw SeccompError("cannot read back the exported filter", n < 0 ? errno : EIO);
    got += n;
  }
  return out;
}

// A few instructions with forward labels: enough for the -ENOSYS prologue.
class Asm {
 public:
  static constexpr int kNext = -1;
  int label() {
    pos_.push_back(-1);
    return static_cast<int>(pos_.size()) - 1;
  }
  void bind(int l) { pos_[l] = static_cast<int>(code_.size()); }
  void stmt(uint16_t code, uint32_t k) { emit(code, k, kNext, kNext); }
  void jump(uint16_t code, uint32_t k, int jt, int jf) { emit(code, k, jt, jf); }
  // An unconditional jump: its 32-bit offset reaches anywhere.
  void ja(int target) { emit(BPF_JMP | BPF_JA, 0, target, kNext); }
  std::vector<sock_filter> finish() {
    std::vector<sock_filter> out;
    for (size_t i = 0; i < code_.size(); i++) {
      const Insn &in = code_[i];
      sock_filter f = {in.code, 0, 0, in.k};
      if (BPF_CLASS(in.code) == BPF_JMP) {
        if (BPF_OP(in.code) == BPF_JA) {
          f.k = offset(in.jt, i);
        } else {
          uint32_t jt = offset(in.jt, i), jf = offset(in.jf, i);
          if (jt > 255 || jf > 255) throw SeccompError("the -ENOSYS prologue needs a jump longer than BPF allows", E2BIG);
          f.jt = static_cast<uint8_t>(jt);
          f.jf = static_cast<uint8_t>(jf);
        }
      }
      out.push_back(f);
    }
    return out;
  }

 private:
  struct Insn {
    uint16_t code;
    uint32_t k;
    int jt, jf;
  };
  uint32_t offset(int label, size_t at) const {
    if (label == kNext) return 0;
    return static_cast<uint32_t>(pos_[label] - static_cast<int>(at) - 1);
  }
  void emit(uint16_t code, uint32_t k, int jt, int jf) { code_.push_back({code, k, jt, jf}); }
  std::vector<Insn> code_;
  std::vector<int> pos_;
};

constexpr uint32_t kX32Bit = 0x40000000;  // __X32_SYSCALL_BIT
constexpr uint32_t kRetEnosys = SECCOMP_RET_ERRNO | ENOSYS;

// The largest syscall number named in the profile for one ABI, or -1.
int largest_syscall(uint32_t arch, const std::vector<std::string> &names) {
  int largest = -1;
  for (const std::string &n : names) {
    // Negative: unknown, or one of libseccomp's pseudo numbers for a
    // syscall this ABI does not have.
    int nr = seccomp_syscall_resolve_name_arch(arch, n.c_str());
    if (nr > largest) largest = nr;
  }
  return largest;
}

// A syscall newer than every one the profile names must fail with ENOSYS,
// not the default action: glibc then falls back (clone3 to clone,
// faccessat2 to faccessat) instead of failing on EPERM. This prologue runs
// before libseccomp's program. For each ABI in the filter it compares the
// syscall number with the largest one the profile names; anything else
// falls through to the filter unchanged. libseccomp's jumps are relative,
// so prepending needs no relocation of its code.
std::vector<sock_filter> enosys_prologue(const std::vector<uint32_t> &arches, const std::vector<std::string> &names) {
  // Per audit arch: the largest syscall of its native ABI, and of x32 (x86_64 only).
  struct Limits {
    int native = -1;
    int x32 = -1;
    bool s390 = false;
  };
  std::vector<std::pair<uint32_t, Limits>> groups;
  auto group = [&](uint32_t audit) -> Limits & {
    for (auto &g : groups)
      if (g.first == audit) return g.second;
    groups.push_back({audit, Limits{}});
    return groups.back().second;
  };
  for (uint32_t arch : arches) {
    int largest = largest_syscall(arch, names);
    if (largest < 0) continue;  // the profile names nothing on this ABI
    if (arch == SCMP_ARCH_X32) {
      group(AUDIT_ARCH_X86_64).x32 = largest;  // libseccomp returns x32 numbers with kX32Bit set
    } else {
      Limits &l = group(arch);  // SCMP_ARCH_* is the AUDIT_ARCH_* value for every other ABI
      l.native = largest;
      l.s390 = arch == SCMP_ARCH_S390 || arch == SCMP_ARCH_S390X;
    }
  }
  if (groups.empty()) return {};

  Asm a;
  int end = a.label();
  a.stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
  for (const auto &[audit, l] : groups) {
    int next = a.label(), enosys = a.label(), filter = a.label();
    a.jump(BPF_JMP | BPF_JEQ | BPF_K, audit, Asm::kNext, next);
    a.stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    // On s390, a syscall number the kernel does not know arrives as 0
    // (the multiplexer); nothing uses setup(2) any more.
    if (l.s390) a.jump(BPF_JMP | BPF_JEQ | BPF_K, 0, enosys, Asm::kNext);
    if (audit == AUDIT_ARCH_X86_64) {
      // x32 shares the audit arch; its syscall numbers carry kX32Bit.
      int x32 = a.label();
      a.jump(BPF_JMP | BPF_JSET | BPF_K, kX32Bit, l.x32 >= 0 ? x32 : filter, l.native >= 0 ? Asm::kNext : filter);
      if (l.native >= 0) a.jump(BPF_JMP | BPF_JGT | BPF_K, static_cast<uint32_t>(l.native), enosys, filter);
      a.bind(x32);
      if (l.x32 >= 0) a.jump(BPF_JMP | BPF_JGT | BPF_K, static_cast<uint32_t>(l.x32), enosys, filter);
    } else {
      a.jump(BPF_JMP | BPF_JGT | BPF_K, static_cast<uint32_t>(l.native), enosys, filter);
    }
    a.bind(enosys);
    a.stmt(BPF_RET | BPF_K, kRetEnosys);
    a.bind(filter);
    a.ja(end);
    a.bind(next);
  }
  a.bind(end);
  return a.finish();
}

}  // namespace

CompiledSeccomp compile_seccomp(const SeccompSpec &spec) {
  Ctx c(spec.default_action);
  // The filter is loaded by tsrun-init with seccomp(2), never by
  // seccomp_load, so NNP/TSYNC/LOG attributes would have no effect here;
  // the flags travel in the plan instead.
  std::vector<uint32_t> arches = {seccomp_arch_native()};
  for (size_t i = 0; i < spec.architectures.size(); i++) {
    uint32_t arch = seccomp_arch_resolve_name(spec.architectures[i].c_str());
    if (arch == 0) throw SeccompError("unknown architecture", EINVAL, -1, static_cast<int>(i));
    int rc = seccomp_arch_add(c.ctx, arch);
    if (rc < 0 && rc != -EEXIST)
      throw SeccompError(lib_error("libseccomp could not add the architecture", rc), -rc, -1, static_cast<int>(i));
    if (std::find(arches.begin(), arches.end(), arch) == arches.end()) arches.push_back(arch);
  }
  if (spec.optimize) seccomp_attr_set(c.ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);  // best effort, as runc

  CompiledSeccomp out;
  for (const SeccompRule &rule : spec.rules) {
    std::vector<scmp_arg_cmp> cmps;
    for (const SeccompArg &arg : rule.args)
      cmps.push_back({arg.index, static_cast<scmp_compare>(arg.op), arg.value, arg.value_two});
    for (const std::string &name : rule.names) {
      int nr = seccomp_syscall_resolve_name(name.c_str());
      if (nr == __NR_SCMP_ERROR) {
        if (std::find(out.unknown.begin(), out.unknown.end(), name) == out.unknown.end()) out.unknown.push_back(name);
        continue;
      }
      int rc = seccomp_rule_add_array(c.ctx, rule.action, nr, static_cast<unsigned>(cmps.size()), cmps.data());
      if (rc < 0)
        throw SeccompError(lib_error("libseccomp refused the rule for " + name, rc), -rc, rule.source);
    }
  }

  std::vector<uint8_t> program = export_bpf(c.ctx);
  std::vector<sock_filter> prologue;
  if (spec.enosys) prologue = enosys_prologue(arches, spec.enosys_names);
  size_t insns = prologue.size() + program.size() / sizeof(sock_filter);
  if (insns > BPF_MAXINSNS)
    throw SeccompError("the filter has " + std::to_string(insns) + " BPF instructions; the kernel takes at most " +
                           std::to_string(BPF_MAXINSNS) + ": use fewer rules or fewer argument conditions",
                       E2BIG);
  out.bpf.resize(prologue.size() * sizeof(sock_filter));
  if (!prologue.empty()) memcpy(out.bpf.data(), prologue.data(), out.bpf.size());
  out.bpf.insert(out.bpf.end(), program.begin(), program.end());
  return out;
}

SeccompSupport probe_seccomp() {
  SeccompSupport s{0, {}, ""};
  // With a NULL program the kernel checks the flags first: EFAULT means it
  // took them (what libseccomp itself probes with). WAIT_KILLABLE_RECV is
  // only valid together with NEW_LISTENER.
  static const uint32_t kFlags[] = {SECCOMP_FILTER_FLAG_TSYNC, SECCOMP_FILTER_FLAG_LOG, SECCOMP_FILTER_FLAG_SPEC_ALLOW,
                                    SECCOMP_FILTER_FLAG_NEW_LISTENER, 1u << 5 /* WAIT_KILLABLE_RECV */};
  for (uint32_t flag : kFlags) {
    uint32_t probe = flag == (1u << 5) ? flag | SECCOMP_FILTER_FLAG_NEW_LISTENER : flag;
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, probe, nullptr) < 0 && errno == EFAULT) s.flags |= flag;
  }
  static const uint32_t kActions[] = {SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_KILL_THREAD, SECCOMP_RET_TRAP,
                                      SECCOMP_RET_ERRNO,        SECCOMP_RET_USER_NOTIF,  SECCOMP_RET_TRACE,
                                      SECCOMP_RET_LOG,          SECCOMP_RET_ALLOW};
  for (uint32_t action : kActions) {
    uint32_t a = action;
    if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &a) == 0) s.actions.push_back(action);
  }
  const scmp_version *v = seccomp_version();
  if (v) s.libseccomp = std::to_string(v->major) + "." + std::to_string(v->minor) + "." + std::to_string(v->micro);
  return s;
}

std::vector<std::string> known_seccomp_archs(const std::vector<std::string> &names) {
  std::vector<std::string> known;
  for (const std::string &name : names)
    if (seccomp_arch_resolve_name(name.c_str()) != 0) known.push_back(name);
  return known;
}

}  // namespace tsrun
