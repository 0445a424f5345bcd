// RequestDeadlines closes connections that take too long to deliver a whole request.
// libmicrohttpd's connection timeout counts only idle time and restarts on every byte, so a
// client sending one header line every few seconds would hold a connection forever, and a
// few thousand such clients would hold every connection the server allows.
//
// Each connection gets an Entry while it is open. A request arms the entry's deadline when
// it starts (the connection opens, or its request line arrives on a kept-alive connection)
// and disarms it once the whole request has been received. A watchdog thread shuts down
// the socket of every connection whose deadline has passed. libmicrohttpd then detects the
// ended connection and closes it itself, so the descriptor is never closed twice. The entry
// is removed, under the same lock, before libmicrohttpd closes the socket, so a shutdown
// never reaches a reused descriptor.
//
// Used only by http_server.cpp. Thread safety: every method may be called from any thread.

#ifndef DPOPFLEET_ENGINE_REALM_HTTP_SERVER_DEADLINES_H_
#define DPOPFLEET_ENGINE_REALM_HTTP_SERVER_DEADLINES_H_

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <unordered_set>

namespace dpopfleet::realm {

class RequestDeadlines {
 public:
  struct Entry {
    int fd = -1;
    std::atomic<std::int64_t> deadline_ms{0};  // steady-clock milliseconds; 0 = disarmed
  };

  // RequestDeadlines starts the watchdog when |seconds| > 0; with 0 every method is a no-op.
  explicit RequestDeadlines(int seconds) : seconds_(seconds) {
    if (seconds_ > 0) thread_ = std::thread([this] { Run(); });
  }
  ~RequestDeadlines() {
    Shutdown();
    for (Entry* entry : entries_) delete entry;
  }

  RequestDeadlines(const RequestDeadlines&) = delete;
  RequestDeadlines& operator=(const RequestDeadlines&) = delete;

  // Open returns the armed entry of a new connection on |fd|, or nullptr without deadlines.
  Entry* Open(int fd) {
    if (seconds_ <= 0 || fd < 0) return nullptr;
    auto* entry = new Entry;
    entry->fd = fd;
    entry->deadline_ms.store(NowMs() + seconds_ * 1000LL, std::memory_order_relaxed);
    std::lock_guard lock(mutex_);
    entries_.insert(entry);
    return entry;
  }

  // Close removes and deletes |entry|. Call it before the connection's socket is closed.
  void Close(Entry* entry) {
    if (entry == nullptr) return;
    {
      std::lock_guard lock(mutex_);
      entries_.erase(entry);
    }
    delete entry;
  }

  // Arm starts the deadline of a new request unless one is already running.
  void Arm(Entry* entry) {
    if (entry == nullptr) return;
    std::int64_t disarmed = 0;
    entry->deadline_ms.compare_exchange_strong(disarmed, NowMs() + seconds_ * 1000LL, std::memory_order_relaxed);
  }

  // Disarm marks the request as received in full.
  static void Disarm(Entry* entry) {
    if (entry != nullptr) entry->deadline_ms.store(0, std::memory_order_relaxed);
  }

  // Shutdown stops the watchdog. It is idempotent.
  void Shutdown() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

 private:
  static std::int64_t NowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }

  void Run() {
    // Checking four times per deadline keeps the overshoot within a quarter of it.
    const auto period = std::chrono::milliseconds(std::min(1000, seconds_ * 250));
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, period, [this] { return stopping_; })) {
      std::int64_t now = NowMs();
      for (Entry* entry : entries_) {
        std::int64_t deadline = entry->deadline_ms.load(std::memory_order_relaxed);
        if (deadline != 0 && deadline <= now) {
          entry->deadline_ms.store(0, std::memory_order_relaxed);
          ::shutdown(entry->fd, SHUT_RDWR);
        }
      }
    }
  }

  const int seconds_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::unordered_set<Entry*> entries_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace dpopfleet::realm

#endif  // DPOPFLEET_ENGINE_REALM_HTTP_SERVER_DEADLINES_H_
