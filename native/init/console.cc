#include "console.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include "../scm_rights.h"
#include "channel.h"
#include "paths.h"

namespace tsrun {
namespace init {
namespace {

constexpr const char *kCfg = "/process/terminal";

void send_master(int sock, int master) {
  // runc sends the master's name along; receivers (conmon, go-runc) ignore it.
  static const char name[] = "/dev/ptmx";
  struct iovec iov = {const_cast<char *>(name), sizeof name - 1};
  if (send_with_fd(sock, &iov, 1, master) < 0)
    fail("console", errno, kCfg, "cannot send the pty master to the console socket: %s", errstr(errno));
}

// /dev/console becomes the pty: bind the slave (through its fd, never a path
// that could be swapped) onto a /dev/console that is no symlink and not a
// file of procfs or sysfs (the CVE-2025-52565 class: a /dev/console planted
// as a link to /proc/sys/kernel/core_pattern would get the pty mounted there).
void bind_dev_console(int slave) {
  int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (root < 0) fail("console", errno, kCfg, "cannot open /: %s", errstr(errno));
  int target = open_in_root(root, "/dev/console", O_PATH | O_NOFOLLOW);
  if (target < 0 && errno == ENOENT) {
    int made = open_target(root, "/dev/console", true, kCfg);
    if (made < 0) fail("console", errno, kCfg, "cannot create /dev/console: %s", errstr(errno));
    close(made);
    target = open_in_root(root, "/dev/console", O_PATH | O_NOFOLLOW);
  }
  if (target < 0) fail("console", errno, kCfg, "cannot open /dev/console: %s", errstr(errno));
  struct stat st;
  struct statfs sfs;
  if (fstat(target, &st) < 0 || fstatfs(target, &sfs) < 0)
    fail("console", errno, kCfg, "cannot stat /dev/console: %s", errstr(errno));
  if (!(S_ISREG(st.st_mode) || S_ISCHR(st.st_mode)) || sfs.f_type == PROC_SUPER_MAGIC || sfs.f_type == SYSFS_MAGIC)
    fail("console", EPERM, kCfg,
         "/dev/console is a symlink, or not a plain file or device of /dev; refusing to mount the terminal on it");
  char from[32], to[32];
  snprintf(from, sizeof from, "/proc/self/fd/%d", slave);
  snprintf(to, sizeof to, "/proc/self/fd/%d", target);
  if (mount(from, to, nullptr, MS_BIND, nullptr) < 0)
    fail("console", errno, kCfg, "cannot bind the terminal onto /dev/console: %s", errstr(errno));
  close(target);
  close(root);
}

}  // namespace

void setup_terminal(const plan::ProcessPlan &proc, int console_sock, bool bind_console) {
  if (!proc.terminal) return;
  if (console_sock < 0) fail("console", EINVAL, kCfg, "a terminal was asked for but no console socket came with the plan");
  // /dev/ptmx of the container's own devpts (the /dev/ptmx -> pts/ptmx link).
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0)
    fail("console", errno, kCfg, "cannot open /dev/ptmx (the container needs a devpts mount at /dev/pts): %s", errstr(errno));
  struct stat st;
  if (fstat(master, &st) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) != 5 || minor(st.st_rdev) != 2)
    fail("console", EPERM, kCfg, "/dev/ptmx is not a pty multiplexer");
  int unlock = 0;
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0) fail("console", errno, kCfg, "cannot unlock the pty: %s", errstr(errno));
  // The slave by the master's fd, not by a /dev/pts/N path someone could replace.
  int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0) fail("console", errno, kCfg, "cannot open the pty's slave: %s", errstr(errno));
  if (const plan::ConsoleSizePlan *size = proc.console_size) {
    struct winsize ws = {};
    ws.ws_row = static_cast<unsigned short>(size->height);
    ws.ws_col = static_cast<unsigned short>(size->width);
    if (ioctl(master, TIOCSWINSZ, &ws) < 0)
      fail("console", errno, "/process/consoleSize", "cannot set the terminal size: %s", errstr(errno));
  }
  if (bind_console) bind_dev_console(slave);
  send_master(console_sock, master);
  close(master);
  close(console_sock);
  if (ioctl(slave, TIOCSCTTY, 0) < 0) fail("console", errno, kCfg, "cannot make the pty our controlling terminal: %s", errstr(errno));
  for (int fd = 0; fd < 3; fd++)
    if (dup2(slave, fd) < 0) fail("console", errno, kCfg, "cannot make the pty stdio: %s", errstr(errno));
  if (slave > 2) close(slave);
}

}  // namespace init
}  // namespace tsrun
