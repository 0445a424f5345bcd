// Shared pieces of the transport tests: a factory that records every AttemptContext and
// marks each attempt's nonce in a header, and a bounded wait for a result.

#ifndef DPOPFLEET_TESTS_HTTP_TRANSPORT_TEST_SUPPORT_H_
#define DPOPFLEET_TESTS_HTTP_TRANSPORT_TEST_SUPPORT_H_

#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "dpopfleet/transport.h"

namespace dpopfleet::testing {

// RecordingFactory builds GET |url| requests with the context's nonce in "X-Nonce" (where a
// real client puts it in the DPoP proof) and keeps every context it was called with.
class RecordingFactory {
 public:
  explicit RecordingFactory(std::string url) : url_(std::move(url)) {}

  RequestFactory factory() {
    return [this](const AttemptContext& context) -> Result<HttpRequest> {
      {
        std::lock_guard lock(mutex_);
        contexts_.push_back(context);
      }
      HttpRequest request;
      request.url = url_;
      request.headers.push_back({"X-Nonce", context.nonce});
      request.headers.push_back({"X-Attempt", std::to_string(context.attempt)});
      return request;
    };
  }

  std::vector<AttemptContext> contexts() const {
    std::lock_guard lock(mutex_);
    return contexts_;
  }

 private:
  std::string url_;
  mutable std::mutex mutex_;
  std::vector<AttemptContext> contexts_;
};

// AwaitResult waits up to 60 s for |future|; a test that hangs fails instead.
inline TransferResult AwaitResult(std::future<TransferResult>& future) {
  if (future.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    TransferResult missing;
    missing.error = Error(ErrorCode::kInternal, "no result within 60 s");
    return missing;
  }
  return future.get();
}

// FastRetryOptions shrinks every backoff to a few milliseconds so tests run quickly.
inline TransportOptions FastRetryOptions() {
  TransportOptions options;
  options.retry.initial_backoff = std::chrono::milliseconds(5);
  options.retry.min_backoff = std::chrono::milliseconds(5);
  options.retry.max_backoff = std::chrono::milliseconds(20);
  return options;
}

// FetchRun is one request sent through a fresh Transport, kept for inspection.
struct FetchRun {
  std::unique_ptr<Transport> transport;
  std::unique_ptr<RecordingFactory> factory;
  TransferResult result;
};

// FetchOnce creates a Transport with |options|, sends one RecordingFactory request for
// |url| with |request_options| and waits for its result.
inline FetchRun FetchOnce(const std::string& url, TransportOptions options = FastRetryOptions(),
                          RequestOptions request_options = {}) {
  FetchRun run;
  auto transport = Transport::Create(std::move(options));
  if (!transport.ok()) {
    run.result.error = transport.error();
    return run;
  }
  run.transport = std::move(*transport);
  run.factory = std::make_unique<RecordingFactory>(url);
  auto future = run.transport->Submit(run.factory->factory(), std::move(request_options));
  run.result = AwaitResult(future);
  return run;
}

}  // namespace dpopfleet::testing

#endif  // DPOPFLEET_TESTS_HTTP_TRANSPORT_TEST_SUPPORT_H_
