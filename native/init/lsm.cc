#include "lsm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "channel.h"
#include "procfs.h"

namespace tsrun {
namespace init {
namespace {

// Writes text to the first attr file that exists: the LSM-specific one (5.8+) or the shared one.
void write_attr(const char *const *files, const char *text, const char *cfg) {
  for (const char *const *f = files; *f; f++) {
    int fd = open_proc_file(*f, O_WRONLY);
    if (fd < 0 && errno == ENOENT) continue;
    if (fd < 0) fail("lsm", errno, cfg, "cannot open /proc/%s: %s", *f, errstr(errno));
    ssize_t len = static_cast<ssize_t>(strlen(text));
    if (write(fd, text, len) != len) fail("lsm", errno, cfg, "the kernel refused \"%s\": %s", text, errstr(errno));
    close(fd);
    return;
  }
  fail("lsm", ENOENT, cfg, "no attr file to write \"%s\" to (is /proc mounted?)", text);
}

}  // namespace

void set_exec_labels(const plan::ProcessPlan &proc) {
  const char *profile = proc.apparmor_profile;
  if (profile) {
    char text[4096];
    snprintf(text, sizeof text, "exec %s", profile);
    static const char *const files[] = {"thread-self/attr/apparmor/exec", "thread-self/attr/exec", nullptr};
    write_attr(files, text, "/process/apparmorProfile");
  }
  const char *label = proc.selinux_label;
  if (label) {
    static const char *const files[] = {"thread-self/attr/exec", nullptr};
    write_attr(files, label, "/process/selinuxLabel");
  }
}

}  // namespace init
}  // namespace tsrun
