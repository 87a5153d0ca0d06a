#include "unmount.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>

#include "fd.h"
#include "statx_mnt.h"
#include "syserror.h"

#ifndef STATX_ATTR_MOUNT_ROOT
#define STATX_ATTR_MOUNT_ROOT 0x00002000
#endif

namespace tsrun {
namespace {

// Field 5 of the mountinfo line of mnt_id, unescaped (\040 and the like); empty when absent.
std::string mount_point_of(uint64_t mnt_id) {
  FILE *f = fopen("/proc/self/mountinfo", "re");
  if (!f) throw_errno("open", "cannot read /proc/self/mountinfo");
  char *line = nullptr;
  size_t cap = 0;
  std::string found;
  while (getline(&line, &cap, f) > 0) {
    char *end;
    if (strtoull(line, &end, 10) != mnt_id || *end != ' ') continue;
    char *p = line;
    for (int field = 1; field < 5 && p; field++) p = strchr(p, ' '), p = p ? p + 1 : nullptr;
    for (; p && *p && *p != ' ' && *p != '\n'; p++) {
      if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0' && p[3] <= '7') {
        found += static_cast<char>((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
        p += 3;
      } else {
        found += *p;
      }
    }
    break;
  }
  free(line);
  fclose(f);
  return found;
}

uint64_t statx_id(int fd, unsigned mask, uint64_t *attributes) {
  struct statx stx = {};
  if (statx(fd, "", AT_EMPTY_PATH, mask, &stx) < 0) throw_errno("statx", "cannot read the mount id");
  if (!(stx.stx_mask & mask)) return 0;  // this kernel does not know that id
  if (attributes) *attributes = stx.stx_attributes & stx.stx_attributes_mask;
  return stx.stx_mnt_id;
}

}  // namespace

UnmountResult unmount_by_id(uint64_t mnt_id, uint64_t unique_id) {
  std::string mp = mount_point_of(mnt_id);
  if (mp.empty()) return UnmountResult::Gone;
  // Every component as it is: a directory the container swapped for a
  // symlink (to a host path, say) fails here instead of leading elsewhere.
  struct open_how how = {};
  how.flags = O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
  how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  Fd fd(static_cast<int>(syscall(SYS_openat2, AT_FDCWD, mp.c_str(), &how, sizeof how)));
  if (fd.fd < 0) throw_errno("openat2", "cannot open the mount point " + mp + " of mount " + std::to_string(mnt_id));
  uint64_t attrs = 0;
  if (statx_id(fd.fd, STATX_MNT_ID, &attrs) != mnt_id || !(attrs & STATX_ATTR_MOUNT_ROOT)) {
    // Something is mounted over it (not by tsrun), or the path changed under us: not ours to guess at.
    errno = EBUSY;
    throw_errno("statx", mp + " is no longer the root of mount " + std::to_string(mnt_id) +
                             " (is something mounted over it? unmount that, then delete again)");
  }
  // The id was freed and reused by a mount that is not ours: ours is gone.
  if (unique_id && statx_id(fd.fd, STATX_MNT_ID_UNIQUE, nullptr) != unique_id) return UnmountResult::Gone;
  // Through the verified fd: umount follows /proc/self/fd/N to exactly that
  // mount (with UMOUNT_NOFOLLOW it would refuse the link itself). Detached,
  // so mounts the container stacked below it go with it.
  std::string self = "/proc/self/fd/" + std::to_string(fd.fd);
  if (umount2(self.c_str(), MNT_DETACH) < 0) throw_errno("umount2", "cannot unmount " + mp);
  return UnmountResult::Unmounted;
}

}  // namespace tsrun
