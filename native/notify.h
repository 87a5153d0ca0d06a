// NOTIFY_SOCKET (sd_notify) proxying, as runc does it: the container gets a
// datagram socket of ours and its READY= goes on to the host's socket. Here
// because node has no unix datagram sockets.
#pragma once

#include <optional>
#include <string>

namespace tsrun {

// Binds a SOCK_DGRAM unix socket (close-on-exec) at path and makes it 0777,
// so any user in the container may notify. Returns the fd. Throws SysError.
int notify_bind(const std::string &path);

// Waits up to timeout_ms for a datagram that begins with "READY=" and returns
// its first line; nullopt on timeout. Other datagrams are read and dropped.
std::optional<std::string> notify_recv_ready(int fd, int timeout_ms);

// A SOCK_DGRAM socket (close-on-exec) connected to the host's socket at host
// ("@name": abstract). Throws SysError ("dial unixgram <host>: connect").
int notify_connect(const std::string &host);

// Sends "<ready>\n", "MAINPID=<main_pid>\n" and "BARRIER=1" (with a pipe's
// write end) on the connected sock, then waits up to barrier_timeout_ms for
// the pipe's EOF: the host has read all three. Returns false when that wait
// timed out. Throws SysError.
bool notify_ready(int sock, const std::string &ready, int main_pid, int barrier_timeout_ms);

}  // namespace tsrun
