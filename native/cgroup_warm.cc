#include "cgroup_warm.h"

#include <fcntl.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <mutex>

// Why this is a no-op that still helps (kernel/cgroup/cgroup.c, 6.x through
// 6.18): a cgroup.procs write goes cgroup_procs_write_start, which for a
// threadgroup write (cgroup.procs, even of pid 0; not "tasks" or
// cgroup.threads of pid 0, which skip the lock) calls cgroup_attach_lock ->
// percpu_down_write(&cgroup_threadgroup_rwsem) (unless the hierarchy has
// favordynmods, which makes the lock per process). rcu_sync_enter there waits
// a grace period unless a writer left within about the last one. Pid 0 is the
// writer's process; its css_set already is the destination's, so
// cgroup_migrate_prepare_dst drops it (src_cset == dst_cset) and nothing
// migrates. Writing again every few ms keeps the fast window open until the
// container's own attaches, which then take ~50 us instead of a grace period.

namespace tsrun {
namespace {

struct Warm {
  int fd;            // the cgroup.procs the thread writes; -1: no thread, a held launcher pipe end
  int hand_over_fd;
  int interval_ms;
  int cap_ms;
  std::atomic<bool> stop{false};
};

std::mutex g_mu;
std::shared_ptr<Warm> g_current;

long long now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void *run(void *arg) {
  std::unique_ptr<std::shared_ptr<Warm>> owned(static_cast<std::shared_ptr<Warm> *>(arg));
  Warm &w = **owned;
  const long long end = now_ms() + w.cap_ms;
  // Errors end it quietly: it is only a warm-up, and the real attach reports its own.
  while (!w.stop.load(std::memory_order_relaxed) && now_ms() < end) {
    if (write(w.fd, "0", 1) != 1) break;
    timespec d = {w.interval_ms / 1000, (w.interval_ms % 1000) * 1000000L};
    nanosleep(&d, nullptr);
  }
  close(w.fd);
  return nullptr;
}

}  // namespace

bool cgroup_warm_start(const std::string &procs_path, int interval_ms, int cap_ms, int hand_over_fd) {
  cgroup_warm_stop();
  if (hand_over_fd >= 0) {
    // The launcher's warm-up (native/launcher/main.c) has run since before
    // node and goes on until this fd closes: it is kept, not doubled by a
    // thread of ours (each write takes the global lock every fork waits on).
    // No child of ours may inherit it; node marks some inherited fds
    // close-on-exec at start, not every one.
    if (fcntl(hand_over_fd, F_SETFD, FD_CLOEXEC) != 0) {
      close(hand_over_fd);
      return false;
    }
    auto held = std::make_shared<Warm>();
    held->fd = -1;
    held->hand_over_fd = hand_over_fd;
    std::lock_guard<std::mutex> lock(g_mu);
    g_current = held;
    return true;
  }
  int fd = open(procs_path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  auto warm = std::make_shared<Warm>();
  warm->fd = fd;
  warm->hand_over_fd = -1;
  warm->interval_ms = interval_ms;
  warm->cap_ms = cap_ms;
  auto *arg = new std::shared_ptr<Warm>(warm);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  // It only writes and sleeps: a small stack is plenty.
  pthread_attr_setstacksize(&attr, 64 * 1024);
  pthread_t t;
  int rc = pthread_create(&t, &attr, run, arg);
  pthread_attr_destroy(&attr);
  if (rc != 0) {
    delete arg;
    close(fd);
    return false;
  }
  std::lock_guard<std::mutex> lock(g_mu);
  g_current = warm;
  return true;
}

void cgroup_warm_stop() {
  std::lock_guard<std::mutex> lock(g_mu);
  if (!g_current) return;
  // A held launcher pipe end: closing it ends the launcher's warm-up.
  if (g_current->fd < 0) close(g_current->hand_over_fd);
  else g_current->stop.store(true, std::memory_order_relaxed);
  g_current.reset();
}

}  // namespace tsrun
