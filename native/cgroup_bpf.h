// The cgroup v2 device controller: load a BPF_PROG_TYPE_CGROUP_DEVICE program
// (built in TypeScript, src/cgroups/device-bpf.ts) and attach it to a cgroup.
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <string>

namespace tsrun {

// Throws SysError; a verifier rejection carries the verifier's log.
void attach_device_program(const std::string &cgroup_dir, const uint8_t *insns, size_t len);

}  // namespace tsrun
