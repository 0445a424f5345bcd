#include "socket_events.h"

#include <curl/curl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace dpopfleet::http {

SocketEvents::~SocketEvents() {
  if (wake_fd_ >= 0) close(wake_fd_);
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

ErrorCode SocketEvents::Open() {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd_ < 0 || wake_fd_ < 0) return ErrorCode::kIoError;

  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = wake_fd_;
  return epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &event) == 0 ? ErrorCode::kOk
                                                                     : ErrorCode::kIoError;
}

void SocketEvents::Watch(int fd, bool read, bool write, bool already_watched) {
  epoll_event event{};
  event.events = (read ? EPOLLIN : 0u) | (write ? EPOLLOUT : 0u);
  event.data.fd = fd;
  int operation = already_watched ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;

  // libcurl can hand over a socket number that was closed and reused without a removal in
  // between; the other operation then succeeds.
  if (epoll_ctl(epoll_fd_, operation, fd, &event) != 0) {
    int fallback = errno == EEXIST ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    epoll_ctl(epoll_fd_, fallback, fd, &event);
  }
}

void SocketEvents::Forget(int fd) {
  // A socket libcurl already closed has left the set by itself, so ENOENT/EBADF are fine.
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
}

void SocketEvents::Wake() {
  std::uint64_t one = 1;
  ssize_t written = write(wake_fd_, &one, sizeof one);
  (void)written;  // EAGAIN means the counter is already non-zero, so the loop wakes anyway.
}

std::size_t SocketEvents::Wait(int timeout_ms, std::array<ReadySocket, kMaxEvents>* ready) {
  std::array<epoll_event, kMaxEvents> events;
  int count = epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), timeout_ms);
  if (count <= 0) return 0;

  std::size_t stored = 0;
  for (int i = 0; i < count; ++i) {
    const epoll_event& event = events[i];
    if (event.data.fd == wake_fd_) {
      std::uint64_t value = 0;
      ssize_t consumed = read(wake_fd_, &value, sizeof value);
      (void)consumed;
      continue;
    }

    int mask = 0;
    if (event.events & EPOLLIN) mask |= CURL_CSELECT_IN;
    if (event.events & EPOLLOUT) mask |= CURL_CSELECT_OUT;
    if (event.events & (EPOLLERR | EPOLLHUP)) mask |= CURL_CSELECT_ERR;
    (*ready)[stored++] = ReadySocket{event.data.fd, mask};
  }
  return stored;
}

}  // namespace dpopfleet::http
