// CurlTransport: the Transport implementation. One loop thread owns the CURLM handle, the
// easy-handle pool, the per-origin lanes of requests waiting for room in libcurl and the
// timer queue of requests waiting out a backoff or Retry-After. Other threads only touch the
// submission queue (under a mutex held for a vector push or swap), the server-state cache
// and the atomic counters.

#ifndef DPOPFLEET_ENGINE_HTTP_TRANSPORT_LOOP_H_
#define DPOPFLEET_ENGINE_HTTP_TRANSPORT_LOOP_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "curl_handles.h"
#include "dpopfleet/transport.h"
#include "origin_lanes.h"
#include "response_analysis.h"
#include "server_state.h"
#include "socket_events.h"
#include "transfer.h"

namespace dpopfleet::http {

class CurlTransport final : public Transport {
 public:
  // CurlTransport takes a configured multi handle; Start launches the loop thread.
  CurlTransport(TransportOptions options, CurlMulti multi);
  ~CurlTransport() override;

  // OpenEvents creates the epoll set and hooks libcurl's socket and timer callbacks to it.
  // It returns kOk or kIoError, and must succeed before Start.
  ErrorCode OpenEvents();
  void Start();

  using Transport::Submit;
  void Submit(RequestFactory factory, RequestOptions options, Callback callback) override;
  void Shutdown() override;
  std::string CachedNonce(const std::string& origin, NonceScope scope) const override;
  std::int64_t ClockOffsetSeconds(const std::string& origin) const override;
  TransportCounters counters() const override;

 private:
  using RequestPtr = PendingRequestPtr;

  struct Counters {
    std::atomic<std::uint64_t> requests_submitted{0};
    std::atomic<std::uint64_t> requests_completed{0};
    std::atomic<std::uint64_t> attempts{0};
    std::atomic<std::uint64_t> retries_429{0};
    std::atomic<std::uint64_t> retries_5xx{0};
    std::atomic<std::uint64_t> retries_connection{0};
    std::atomic<std::uint64_t> retries_nonce{0};
    std::atomic<std::uint64_t> connections_opened{0};
  };

  // libcurl's CURLMOPT_SOCKETFUNCTION and CURLMOPT_TIMERFUNCTION; both run on the loop
  // thread, inside curl_multi_* calls.
  static int OnCurlSocket(CURL* easy, curl_socket_t socket, int what, void* self, void* watched);
  static int OnCurlTimer(CURLM* multi, long timeout_ms, void* self);

  // Loop thread (transport_loop.cpp).
  void Run();
  void RunDueCurlTimer();
  void DrainSubmissions();
  void FireDueTimers(std::int64_t now_unix_millis);
  void Route(RequestPtr request);
  bool HasInFlightRoom() const;
  void StartReady();
  void CollectFinishedTransfers();
  long PollTimeoutMillis(std::int64_t now_unix_millis) const;
  void Schedule(RequestPtr request, std::chrono::milliseconds wait);
  void Deliver(RequestPtr request);
  void CancelAll();

  // Attempts (attempt.cpp).
  void StartAttempt(RequestPtr request);
  Result<HttpRequest> BuildAttempt(PendingRequest& request);
  void FinishAttempt(PendingRequest* raw, CURLcode code);
  void Fail(RequestPtr request, Error error);

  TransportOptions options_;

  // events_ is declared before multi_ so that it outlives curl_multi_cleanup, which may
  // still call OnCurlSocket.
  SocketEvents events_;
  CurlMulti multi_;
  ServerState servers_;
  Counters counters_;

  std::mutex submit_mutex_;
  std::vector<RequestPtr> submitted_;  // guarded by submit_mutex_
  bool accepting_ = true;              // guarded by submit_mutex_
  std::atomic<bool> stopping_{false};

  std::mutex join_mutex_;
  std::thread thread_;
  std::thread::id loop_thread_id_;

  // Owned by the loop thread.
  EasyPool pool_;
  HttpDateCache dates_;
  OriginLanes lanes_;

  // unrouted_ contains first attempts without a url_hint. Their origin, and so their lane,
  // is known only once the factory has built them.
  std::deque<RequestPtr> unrouted_;

  // The last url_hint Route parsed, and its origin (empty if it is not a valid URL).
  std::string last_hint_;
  std::string last_hint_origin_;

  // The last URL that CheckUrlAllowed accepted.
  std::string last_allowed_url_;
  std::map<std::pair<std::int64_t, std::uint64_t>, RequestPtr> timers_;
  std::uint64_t timer_sequence_ = 0;

  // curl_timer_due_ is when libcurl wants curl_multi_socket_action(CURL_SOCKET_TIMEOUT), in
  // steady-clock milliseconds, or -1 when it set no timer. libcurl's timeouts are real time,
  // so they do not follow an injected Clock.
  std::int64_t curl_timer_due_ = -1;
  std::unordered_map<PendingRequest*, RequestPtr> in_flight_;
};

}  // namespace dpopfleet::http

#endif  // DPOPFLEET_ENGINE_HTTP_TRANSPORT_LOOP_H_
