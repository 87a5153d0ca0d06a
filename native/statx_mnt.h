// statx(2)'s mount-id bits, for C libraries whose headers predate them
// (STATX_MNT_ID: Linux 5.8; STATX_MNT_ID_UNIQUE: 6.8). Shared by the addon
// (unmount.cc) and init (host-mounts.cc).
#pragma once

#include <sys/stat.h>

#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x00001000U
#endif
#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x00004000U
#endif
