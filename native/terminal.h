// The parent's side of process.terminal: the socket the pty master arrives
// on, and resizing it, for `run` with a terminal and no --console-socket.
#pragma once

#include <stddef.h>

#include <cstdint>
#include <utility>
#include <vector>

namespace tsrun {

// A connected unix socket pair (close-on-exec): SOCK_STREAM, or SOCK_SEQPACKET (criu swrk's RPC).
std::pair<int, int> socket_pair(bool seqpacket = false);
// Blocks for one message on sock and returns the fd it carried (close-on-exec).
int recv_fd(int sock);
// One packet (SOCK_SEQPACKET) and the fd that came along, if any (-1);
// empty data and no fd: the peer closed. criu swrk's notifications use it.
struct ReceivedPacket {
  std::vector<uint8_t> data;
  int fd = -1;
};
ReceivedPacket recv_packet(int sock, size_t max_len);
void set_winsize(int fd, unsigned short rows, unsigned short cols);

}  // namespace tsrun
