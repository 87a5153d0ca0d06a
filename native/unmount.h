// Unmounting a mount tsrun made on the host (a container without a mount
// namespace) by its recorded identity, never by a path the container chose.
#pragma once

#include <stdint.h>

namespace tsrun {

enum class UnmountResult { Unmounted, Gone };

// Finds mount mnt_id in /proc/self/mountinfo, opens its mount point without
// following any symlink, checks the opened directory is that mount's root
// (and, when unique_id is not 0, that its 64-bit unique id is the recorded
// one), and detaches it through that fd. Gone: no such mount any more (or the
// id now names a different mount). Throws SysError when it cannot be verified.
UnmountResult unmount_by_id(uint64_t mnt_id, uint64_t unique_id);

}  // namespace tsrun
