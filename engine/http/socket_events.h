// The loop's readiness source: an epoll set containing libcurl's sockets plus an eventfd
// that other threads write to wake the loop. libcurl's multi_socket interface reports the
// sockets to watch through a callback, so each wait costs one epoll_wait however many
// transfers run. curl_multi_perform, by contrast, visits every transfer on every pass.

#ifndef DPOPFLEET_ENGINE_HTTP_SOCKET_EVENTS_H_
#define DPOPFLEET_ENGINE_HTTP_SOCKET_EVENTS_H_

#include <array>
#include <cstddef>

#include "dpopfleet/status.h"

namespace dpopfleet::http {

// SocketEvents is used by the loop thread only, except Wake, which any thread may call.
class SocketEvents {
 public:
  // ReadySocket is one socket that epoll reported, with libcurl's CURL_CSELECT_* bits.
  struct ReadySocket {
    int fd = -1;
    int curl_mask = 0;
  };

  static constexpr std::size_t kMaxEvents = 128;

  SocketEvents() = default;
  ~SocketEvents();
  SocketEvents(const SocketEvents&) = delete;
  SocketEvents& operator=(const SocketEvents&) = delete;

  // Open creates the epoll set and the eventfd. It returns kOk or kIoError.
  ErrorCode Open();

  // Watch adds |fd| to the set, or changes its interest if |already_watched|.
  void Watch(int fd, bool read, bool write, bool already_watched);

  // Forget removes |fd| from the set.
  void Forget(int fd);

  // Wake makes a running or the next Wait return at once.
  void Wake();

  // Wait blocks up to |timeout_ms| (0 polls) and stores the ready sockets in |*ready|,
  // returning how many there are. A wakeup is consumed and not reported as a socket.
  std::size_t Wait(int timeout_ms, std::array<ReadySocket, kMaxEvents>* ready);

 private:
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
};

}  // namespace dpopfleet::http

#endif  // DPOPFLEET_ENGINE_HTTP_SOCKET_EVENTS_H_
