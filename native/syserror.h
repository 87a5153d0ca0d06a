// The error every native function throws: what failed, and the errno.
#pragma once

#include <stdexcept>
#include <string>

namespace tsrun {

struct SysError : std::runtime_error {
  int err;
  std::string syscall;
  SysError(const std::string &call, int e, const std::string &what)
      : std::runtime_error(what), err(e), syscall(call) {}
};

[[noreturn]] void throw_errno(const std::string &call, const std::string &what);

}  // namespace tsrun
