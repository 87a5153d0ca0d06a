#include "home.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "channel.h"
#include "paths.h"

namespace tsrun {
namespace init {
namespace {

constexpr size_t kMaxPasswd = 4 << 20;  // beyond this /etc/passwd is not read

// The whole file, NUL-terminated, or nullptr when it cannot be read.
char *read_passwd() {
  int rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) return nullptr;
  int fd = open_in_root(rootfd, "/etc/passwd", O_RDONLY);
  close(rootfd);
  if (fd < 0) return nullptr;
  size_t cap = 4096, len = 0;
  char *buf = static_cast<char *>(malloc(cap));
  for (;;) {
    if (!buf || len + 1 >= cap) {
      if (!buf || cap >= kMaxPasswd) { free(buf); close(fd); return nullptr; }
      cap *= 2;
      char *grown = static_cast<char *>(realloc(buf, cap));
      if (!grown) { free(buf); close(fd); return nullptr; }
      buf = grown;
    }
    ssize_t n = read(fd, buf + len, cap - len - 1);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    len += static_cast<size_t>(n);
  }
  close(fd);
  buf[len] = 0;
  return buf;
}

// The home field (the 6th) of the first line whose uid field (the 3rd) is
// uid, cut out of passwd in place; nullptr when there is none.
const char *home_of(char *passwd, uid_t uid) {
  char want[16];
  snprintf(want, sizeof want, "%u", static_cast<unsigned>(uid));
  for (char *line = passwd; line && *line;) {
    char *next = strchr(line, '\n');
    if (next) *next++ = 0;
    char *field[7] = {};
    int n = 0;
    for (char *f = line; f && n < 7; n++) {
      field[n] = f;
      f = strchr(f, ':');
      if (f) *f++ = 0;
    }
    if (n >= 3 && strcmp(field[2], want) == 0) return n >= 6 ? field[5] : "";
    line = next;
  }
  return nullptr;
}

}  // namespace

char **with_home(char **envp, uid_t uid) {
  size_t n = 0;
  for (; envp[n]; n++)
    if (strncmp(envp[n], "HOME=", 5) == 0 && envp[n][5]) return envp;
  char *passwd = read_passwd();
  const char *home = passwd ? home_of(passwd, uid) : nullptr;
  if (!home) home = "/";
  size_t len = strlen(home) + 6;
  char *entry = static_cast<char *>(malloc(len));
  char **out = static_cast<char **>(calloc(n + 2, sizeof(char *)));
  if (!entry || !out) fail("alloc", ENOMEM, "", "out of memory");
  snprintf(entry, len, "HOME=%s", home);
  // An empty HOME= is replaced where it stands, as runc's os.Setenv does
  // (os.Getenv sees ""); else HOME goes last.
  bool placed = false;
  for (size_t i = 0; i < n; i++) {
    bool empty_home = strcmp(envp[i], "HOME=") == 0;
    out[i] = empty_home && !placed ? entry : envp[i];
    placed = placed || empty_home;
  }
  if (!placed) out[n] = entry;
  free(passwd);
  return out;
}

}  // namespace init
}  // namespace tsrun
