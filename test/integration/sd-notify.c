/* sd-notify MESSAGE...: sends each MESSAGE as one datagram to $NOTIFY_SOCKET,
 * as sd_notify(3) does. Tests build it static into a container's rootfs:
 * busybox has no such tool. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

int main(int argc, char **argv) {
  const char *path = getenv("NOTIFY_SOCKET");
  if (argc < 2 || path == NULL || *path == '\0' || strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
    fprintf(stderr, "usage: NOTIFY_SOCKET=/path sd-notify MESSAGE...\n");
    return 2;
  }
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  strcpy(addr.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    perror("sd-notify: socket");
    return 1;
  }
  for (int i = 1; i < argc; i++) {
    if (sendto(fd, argv[i], strlen(argv[i]), 0, (struct sockaddr *)&addr, sizeof addr) < 0) {
      perror("sd-notify: sendto");
      return 1;
    }
  }
  return 0;
}
