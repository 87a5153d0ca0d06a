// The parent's end of the init socket: one message, of any size, per call (framing.h).
#pragma once

#include <sys/socket.h>
#include <sys/un.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace tsrun {

struct Message {
  uint32_t type;
  std::vector<uint8_t> payload;
  int fd = -1;  // an fd init passed with SCM_RIGHTS (close-on-exec), or -1
};

// pass_fd >= 0 goes along with SCM_RIGHTS (the console socket, for one).
void channel_send(int fd, uint32_t type, const uint8_t *payload, size_t len, int pass_fd = -1);
// Blocks until a message arrives; nullopt when init closed the socket (exited).
// The caller owns Message::fd.
std::optional<Message> channel_recv(int fd);

// Fills addr for the unix socket path and returns its length; call names the
// syscall in the error for a path that is empty or too long. With abstract,
// "@name" is an abstract address, as Go's net (runc) reads it.
socklen_t unix_address(const std::string &path, struct sockaddr_un *addr, const char *call, bool abstract);

// A connected SOCK_STREAM unix socket (close-on-exec).
int connect_unix(const std::string &path);

// Connects a SOCK_STREAM socket to the unix socket at path, sends payload with
// fd (SCM_RIGHTS) on the first sendmsg, and closes the connection: how a
// seccomp listener fd reaches linux.seccomp.listenerPath.
void send_fd_to_unix_socket(const std::string &path, const uint8_t *payload, size_t len, int fd);

}  // namespace tsrun
