#include "transport_loop.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <exception>

#include "dpopfleet/url.h"

namespace dpopfleet::http {
namespace {

// kMaxPollMillis bounds one epoll wait, so that a transport driven by a FakeClock
// notices a clock change within this time even when no socket or timer wakes it.
constexpr long kMaxPollMillis = 200;

std::int64_t SteadyMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

CurlTransport::CurlTransport(TransportOptions options, CurlMulti multi)
    : options_(std::move(options)), multi_(std::move(multi)), lanes_(options_) {}

CurlTransport::~CurlTransport() { Shutdown(); }

ErrorCode CurlTransport::OpenEvents() {
  if (events_.Open() != ErrorCode::kOk) return ErrorCode::kIoError;

  bool ok = true;
  CURLM* multi = multi_.get();
  ok &= curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &CurlTransport::OnCurlSocket) == CURLM_OK;
  ok &= curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, this) == CURLM_OK;
  ok &= curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &CurlTransport::OnCurlTimer) == CURLM_OK;
  ok &= curl_multi_setopt(multi, CURLMOPT_TIMERDATA, this) == CURLM_OK;
  return ok ? ErrorCode::kOk : ErrorCode::kIoError;
}

int CurlTransport::OnCurlSocket(CURL*, curl_socket_t socket, int what, void* self,
                                void* watched) {
  auto* transport = static_cast<CurlTransport*>(self);
  if (what == CURL_POLL_REMOVE) {
    transport->events_.Forget(socket);
    return 0;
  }

  bool read = what == CURL_POLL_IN || what == CURL_POLL_INOUT;
  bool write = what == CURL_POLL_OUT || what == CURL_POLL_INOUT;
  transport->events_.Watch(socket, read, write, watched != nullptr);

  // Any non-null pointer marks the socket as already in the epoll set.
  if (watched == nullptr) curl_multi_assign(transport->multi_.get(), socket, transport);
  return 0;
}

int CurlTransport::OnCurlTimer(CURLM*, long timeout_ms, void* self) {
  auto* transport = static_cast<CurlTransport*>(self);
  transport->curl_timer_due_ = timeout_ms < 0 ? -1 : SteadyMillis() + timeout_ms;
  return 0;
}

void CurlTransport::Start() {
  thread_ = std::thread([this] { Run(); });
  loop_thread_id_ = thread_.get_id();
}

void CurlTransport::Submit(RequestFactory factory, RequestOptions options, Callback callback) {
  auto request = std::make_unique<PendingRequest>();
  request->factory = std::move(factory);
  request->callback = std::move(callback);
  request->deadline_unix_millis = options_.clock->NowUnixMillis() + options.deadline.count();
  request->options = std::move(options);
  counters_.requests_submitted.fetch_add(1, std::memory_order_relaxed);

  // A callback that submits runs on the loop thread, which owns the lanes and needs no
  // wakeup. Once stopping_ is set, accepting_ is false too, and the request is cancelled below.
  if (std::this_thread::get_id() == loop_thread_id_ && !stopping_.load(std::memory_order_acquire)) {
    Route(std::move(request));
    return;
  }

  // The loop swaps the whole queue out, so only a push onto an empty queue needs to wake it.
  bool wake = false;
  {
    std::lock_guard lock(submit_mutex_);
    if (accepting_) {
      wake = submitted_.empty();
      submitted_.push_back(std::move(request));
    }
  }
  if (request == nullptr) {
    if (wake) events_.Wake();
    return;
  }

  // The loop is gone, so the result is delivered on the caller's thread.
  request->result.error = Error(ErrorCode::kCancelled,
                                "transport was shut down before the request was submitted; "
                                "submit requests before calling Shutdown");
  Deliver(std::move(request));
}

void CurlTransport::Shutdown() {
  {
    std::lock_guard lock(submit_mutex_);
    accepting_ = false;
  }
  stopping_.store(true, std::memory_order_release);
  events_.Wake();

  // A callback that calls Shutdown runs on the loop thread, which cannot join itself. The
  // loop ends after that callback returns, and the destructor joins it.
  if (std::this_thread::get_id() == loop_thread_id_) return;

  std::lock_guard lock(join_mutex_);
  if (thread_.joinable()) thread_.join();
}

std::string CurlTransport::CachedNonce(const std::string& origin, NonceScope scope) const {
  return servers_.Nonce(origin, scope);
}

std::int64_t CurlTransport::ClockOffsetSeconds(const std::string& origin) const {
  return servers_.ClockOffsetSeconds(origin);
}

TransportCounters CurlTransport::counters() const {
  TransportCounters out;
  out.requests_submitted = counters_.requests_submitted.load(std::memory_order_relaxed);
  out.requests_completed = counters_.requests_completed.load(std::memory_order_relaxed);
  out.attempts = counters_.attempts.load(std::memory_order_relaxed);
  out.retries_429 = counters_.retries_429.load(std::memory_order_relaxed);
  out.retries_5xx = counters_.retries_5xx.load(std::memory_order_relaxed);
  out.retries_connection = counters_.retries_connection.load(std::memory_order_relaxed);
  out.retries_nonce = counters_.retries_nonce.load(std::memory_order_relaxed);
  out.connections_opened = counters_.connections_opened.load(std::memory_order_relaxed);
  return out;
}

void CurlTransport::Run() {
  std::array<SocketEvents::ReadySocket, SocketEvents::kMaxEvents> ready;

  while (!stopping_.load(std::memory_order_acquire)) {
    DrainSubmissions();
    FireDueTimers(options_.clock->NowUnixMillis());
    StartReady();

    // Adding a transfer sets a zero timer, so this starts the transfers just added.
    RunDueCurlTimer();
    CollectFinishedTransfers();

    // Retries that need no wait, and requests whose lane a finished transfer freed, start at
    // once instead of after the next wait.
    bool can_start = HasInFlightRoom() && (lanes_.HasStartable() || !unrouted_.empty());
    long timeout = can_start ? 0 : PollTimeoutMillis(options_.clock->NowUnixMillis());

    std::size_t count = events_.Wait(static_cast<int>(timeout), &ready);
    int running = 0;
    for (std::size_t i = 0; i < count; ++i) {
      curl_multi_socket_action(multi_.get(), ready[i].fd, ready[i].curl_mask, &running);
    }
    RunDueCurlTimer();
    CollectFinishedTransfers();
  }
  CancelAll();
}

void CurlTransport::RunDueCurlTimer() {
  if (curl_timer_due_ < 0 || SteadyMillis() < curl_timer_due_) return;

  curl_timer_due_ = -1;
  int running = 0;
  curl_multi_socket_action(multi_.get(), CURL_SOCKET_TIMEOUT, 0, &running);
}

void CurlTransport::DrainSubmissions() {
  std::vector<RequestPtr> batch;
  {
    std::lock_guard lock(submit_mutex_);
    batch.swap(submitted_);
  }
  for (RequestPtr& request : batch) Route(std::move(request));
}

void CurlTransport::FireDueTimers(std::int64_t now_unix_millis) {
  while (!timers_.empty() && timers_.begin()->first.first <= now_unix_millis) {
    lanes_.Push(std::move(timers_.begin()->second), /*retry=*/true);
    timers_.erase(timers_.begin());
  }
}

void CurlTransport::Route(RequestPtr request) {
  const std::string& hint = request->options.url_hint;
  if (!hint.empty()) {
    // Requests of one run mostly share their url_hint, so the last parse is kept.
    if (hint != last_hint_) {
      Result<std::string> origin = UrlOrigin(hint);
      last_hint_ = hint;
      last_hint_origin_ = origin.ok() ? std::move(*origin) : std::string();
    }
    request->origin = last_hint_origin_;
  }

  if (request->origin.empty()) {
    unrouted_.push_back(std::move(request));
    return;
  }
  lanes_.Push(std::move(request), /*retry=*/false);
}

bool CurlTransport::HasInFlightRoom() const {
  return static_cast<long>(in_flight_.size()) < options_.max_in_flight;
}

void CurlTransport::StartReady() {
  while (HasInFlightRoom()) {
    RequestPtr request = lanes_.PopStartable();
    if (request == nullptr) break;
    StartAttempt(std::move(request));
  }

  // Building an unrouted request reveals its lane; StartAttempt parks it there if it is full.
  while (HasInFlightRoom() && !unrouted_.empty()) {
    RequestPtr request = std::move(unrouted_.front());
    unrouted_.pop_front();
    StartAttempt(std::move(request));
  }
}

void CurlTransport::CollectFinishedTransfers() {
  int remaining = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_.get(), &remaining)) {
    if (message->msg != CURLMSG_DONE) continue;

    void* request = nullptr;
    curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &request);
    FinishAttempt(static_cast<PendingRequest*>(request), message->data.result);
  }
}

long CurlTransport::PollTimeoutMillis(std::int64_t now_unix_millis) const {
  std::int64_t timeout = kMaxPollMillis;
  if (!timers_.empty()) timeout = std::min(timeout, timers_.begin()->first.first - now_unix_millis);
  if (curl_timer_due_ >= 0) timeout = std::min(timeout, curl_timer_due_ - SteadyMillis());
  return static_cast<long>(std::max<std::int64_t>(timeout, 0));
}

void CurlTransport::Schedule(RequestPtr request, std::chrono::milliseconds wait) {
  if (wait.count() <= 0) {
    lanes_.Push(std::move(request), /*retry=*/true);
    return;
  }
  std::int64_t due = options_.clock->NowUnixMillis() + wait.count();
  timers_.emplace(std::make_pair(due, timer_sequence_++), std::move(request));
}

void CurlTransport::Deliver(RequestPtr request) {
  counters_.requests_completed.fetch_add(1, std::memory_order_relaxed);
  Callback callback = std::move(request->callback);
  TransferResult result = std::move(request->result);
  request.reset();
  if (!callback) return;

  // A throwing callback must not take the loop thread down with every other request.
  try {
    callback(std::move(result));
  } catch (const std::exception& e) {
    spdlog::error("transport: a completion callback threw '{}'; callbacks must not throw",
                  e.what());
  } catch (...) {
    spdlog::error("transport: a completion callback threw a non-standard exception");
  }
}

void CurlTransport::CancelAll() {
  std::vector<RequestPtr> cancelled;
  for (auto& [raw, request] : in_flight_) {
    curl_multi_remove_handle(multi_.get(), request->easy.handle.get());
    pool_.Release(std::move(request->easy));
    cancelled.push_back(std::move(request));
  }
  in_flight_.clear();
  for (auto& [key, request] : timers_) cancelled.push_back(std::move(request));
  timers_.clear();
  lanes_.DrainAll(&cancelled);
  for (RequestPtr& request : unrouted_) cancelled.push_back(std::move(request));
  unrouted_.clear();
  {
    std::lock_guard lock(submit_mutex_);
    for (RequestPtr& request : submitted_) cancelled.push_back(std::move(request));
    submitted_.clear();
  }

  for (RequestPtr& request : cancelled) {
    request->result.error =
        Error(ErrorCode::kCancelled, "transport shut down before the request finished after " +
                                         std::to_string(request->result.attempts.size()) +
                                         " attempts");
    Deliver(std::move(request));
  }
}

}  // namespace dpopfleet::http
