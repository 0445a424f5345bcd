// Concurrent token refreshes through the transport.

#include "call_refresh.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "dpopfleet/oauth_token.h"
#include "fleet_output.h"

namespace dpopfleet::cli {
namespace {

using SteadyClock = std::chrono::steady_clock;

// RefreshRun keeps |concurrency| token requests unfinished: each completion, on the loop
// thread, submits the next request. It is used from the calling thread and the loop thread,
// and its mutex guards the counters.
class RefreshRun {
 public:
  RefreshRun(Transport& transport, const ResolvedClient& client, const ClientOptions& options, const KeyPool& keys,
             const std::vector<std::size_t>& agents)
      : transport_(transport), options_(options), keys_(keys), agents_(agents), results_(agents.size()) {
    spec_.token_endpoint = client.metadata.token_endpoint;
    spec_.credentials = CredentialsOf(client);
    spec_.scope = ScopeFor(options, client);
    spec_.builder = &builder_;
    request_options_ = RequestOptionsFor(options, spec_.token_endpoint);
  }

  // Run submits every request and returns their results once all have ended.
  std::vector<MintResult> Run(std::size_t concurrency) {
    std::size_t first = std::min(concurrency, agents_.size());
    {
      std::lock_guard lock(mutex_);
      next_ = first;
    }
    for (std::size_t i = 0; i < first; ++i) Submit(i);

    std::unique_lock lock(mutex_);
    finished_all_.wait(lock, [&] { return finished_ == agents_.size(); });
    progress_.Finish();
    return std::move(results_);
  }

 private:
  void Submit(std::size_t i) {
    TokenRequestSpec spec = spec_;
    const ProofKey& key = keys_.key(agents_[i]);
    spec.key = options_.bearer ? nullptr : &key;
    SteadyClock::time_point submitted = SteadyClock::now();
    transport_.Submit(MakeTokenRequestFactory(std::move(spec)), request_options_,
                      [this, i, submitted](TransferResult transfer) { OnDone(i, std::move(transfer), submitted); });
  }

  void OnDone(std::size_t i, TransferResult transfer, SteadyClock::time_point submitted) {
    Fill(i, std::move(transfer), submitted);

    // After a shutdown the transport cancels at once and on this thread, so the remaining
    // agents are marked here instead of submitted one inside the other's callback.
    bool cancelled = results_[i].error && results_[i].error->code() == ErrorCode::kCancelled;
    std::size_t next = 0;
    bool submit = false;
    {
      std::lock_guard lock(mutex_);
      ++finished_;
      if (cancelled) {
        for (; next_ < agents_.size(); ++next_, ++finished_) {
          results_[next_].index = agents_[next_];
          results_[next_].thumbprint = keys_.key(agents_[next_]).thumbprint();
          results_[next_].error = *results_[i].error;
        }
      } else if (next_ < agents_.size()) {
        next = next_++;
        submit = true;
      }
      // The progress line is redrawn about a hundred times per refresh step.
      std::size_t step = std::max<std::size_t>(agents_.size() / 100, 1);
      if (finished_ % step == 0 || finished_ == agents_.size()) progress_.callback()(finished_, agents_.size());
      if (finished_ == agents_.size()) finished_all_.notify_all();
    }
    if (submit) Submit(next);
  }

  // Fill records agent |i|'s attempts, latency and token or error.
  void Fill(std::size_t i, TransferResult transfer, SteadyClock::time_point submitted) {
    MintResult& result = results_[i];
    const ProofKey& key = keys_.key(agents_[i]);
    result.index = agents_[i];
    result.thumbprint = key.thumbprint();
    result.attempts = std::move(transfer.attempts);
    result.latency = std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - submitted);
    if (transfer.error) {
      result.error = std::move(*transfer.error);
      return;
    }
    if (!transfer.response) {
      result.error = Error(ErrorCode::kInternal, "token request ended without a response or an error");
      return;
    }

    TokenExpectations expected{options_.bearer ? std::string_view() : std::string_view(result.thumbprint),
                               options_.allow_bearer};
    auto token = ParseTokenResponse(*transfer.response, expected, spec_.token_endpoint);
    if (!token.ok()) {
      result.error = token.error();
      return;
    }
    if (token->expires_in > 0) result.expires_at_unix = SystemClock().NowUnixSeconds() + token->expires_in;
    result.token = std::move(*token);
  }

  Transport& transport_;
  const ClientOptions& options_;
  const KeyPool& keys_;
  const std::vector<std::size_t>& agents_;
  ProofBuilder builder_;
  TokenRequestSpec spec_;
  RequestOptions request_options_;
  ProgressLine progress_{"refreshing"};

  std::mutex mutex_;
  std::condition_variable finished_all_;
  std::vector<MintResult> results_;
  std::size_t next_ = 0;
  std::size_t finished_ = 0;
};

}  // namespace

std::vector<MintResult> RefreshTokens(Transport& transport, const ResolvedClient& client, const ClientOptions& options,
                                      const KeyPool& keys, const std::vector<std::size_t>& agents,
                                      std::size_t concurrency) {
  if (agents.empty()) return {};
  RefreshRun run(transport, client, options, keys, agents);
  return run.Run(std::max<std::size_t>(concurrency, 1));
}

}  // namespace dpopfleet::cli
