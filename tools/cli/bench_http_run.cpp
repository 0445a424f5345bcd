#include "bench_http_run.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "bench_http_proofs.h"
#include "dpopfleet/crypto.h"
#include "dpopfleet/dpop_proof.h"
#include "dpopfleet/transport.h"
#include "dpopfleet/url.h"

namespace dpopfleet::cli {
namespace {

using Clock = std::chrono::steady_clock;

// LoadLoop resubmits a request from each completion callback until the measurement ends,
// so exactly |in_flight| requests are outstanding the whole time.
class LoadLoop {
 public:
  LoadLoop(Transport& transport, RequestFactory factory, std::string url)
      : transport_(transport), factory_(std::move(factory)), url_hint_(std::move(url)) {}

  void SubmitOne() {
    RequestOptions options;
    options.max_attempts = 1;
    options.url_hint = url_hint_;
    transport_.Submit(factory_, options, [this](TransferResult result) { OnResult(result); });
  }

  // StopAndDrain stops counting and resubmitting, then waits until no request is
  // outstanding.
  void StopAndDrain(long in_flight) {
    std::unique_lock lock(mutex_);
    measuring_ = false;
    drained_.wait(lock, [&] { return finished_after_stop_ == in_flight; });
  }

  void Fill(HttpBenchReport* report) {
    std::lock_guard lock(mutex_);
    report->completed = completed_;
    report->failed = failed_;
    report->first_error = first_error_;
  }

 private:
  void OnResult(const TransferResult& result) {
    bool ok = result.response.has_value() && result.response->status >= 200 &&
              result.response->status < 300;
    {
      std::lock_guard lock(mutex_);
      if (!measuring_) {
        ++finished_after_stop_;
        drained_.notify_all();
        return;
      }
      if (ok) {
        ++completed_;
      } else {
        ++failed_;
        if (first_error_.empty()) {
          first_error_ = result.error.has_value()
                             ? result.error->ToString()
                             : "HTTP " + std::to_string(result.response->status);
        }
      }
    }
    SubmitOne();
  }

  Transport& transport_;
  RequestFactory factory_;
  std::string url_hint_;

  std::mutex mutex_;
  std::condition_variable drained_;
  bool measuring_ = true;
  long finished_after_stop_ = 0;
  std::uint64_t completed_ = 0;
  std::uint64_t failed_ = 0;
  std::string first_error_;
};

Status CheckConfig(const HttpBenchConfig& config) {
  if (config.connections < 1 || config.connections > 10'000) {
    return Error(ErrorCode::kInvalidArgument, "--connections " + std::to_string(config.connections) +
                                                  " is out of range; use 1 to 10000");
  }
  if (!(config.seconds > 0 && config.seconds <= 3600)) {
    return Error(ErrorCode::kInvalidArgument, "--seconds " + std::to_string(config.seconds) +
                                                  " is out of range; use more than 0 and at most 3600");
  }
  if (config.streams < 1 || config.streams > 1'000) {
    return Error(ErrorCode::kInvalidArgument, "--streams " + std::to_string(config.streams) +
                                                  " is out of range; use 1 to 1000");
  }
  return {};
}

}  // namespace

Result<HttpBenchReport> RunHttpBench(const HttpBenchConfig& config) {
  Status valid = CheckConfig(config);
  if (!valid.ok()) return valid.error();
  Result<std::string> htu = NormalizeHtu(config.url);
  if (!htu.ok()) return htu.error();

  HttpBenchReport report;
  report.in_flight = config.http2 ? config.connections * config.streams : config.connections;

  TransportOptions options;
  options.http2 = config.http2;
  options.max_host_connections = config.connections;
  options.max_total_connections = config.connections;
  options.max_concurrent_streams = config.streams;
  options.max_in_flight = report.in_flight;
  options.ca_file = config.ca_file;
  auto transport = Transport::Create(options);
  if (!transport.ok()) return transport.error();

  Result<P256Key> key = P256Key::Generate();
  if (!key.ok()) return key.error();
  ProofKey proof_key = ProofKey::Create(std::move(*key));
  ProofBuilder builder;

  // Worker threads sign ahead on the cores the loop thread does not use. The queue holds 256
  // proofs, so at thousands of requests per second a proof's iat is milliseconds old when sent.
  unsigned workers = std::max(1u, std::thread::hardware_concurrency()) - 1;
  std::unique_ptr<ProofSupply> supply;
  if (config.dpop && workers > 0) {
    supply = std::make_unique<ProofSupply>(proof_key, *htu, workers, 256);
  }

  // The factory runs on the transport's loop thread, so one proof buffer suffices.
  std::string proof;
  RequestFactory factory = [&](const AttemptContext& context) -> Result<HttpRequest> {
    HttpRequest request;
    request.url = config.url;
    bool plain_context = context.nonce.empty() && context.clock_offset_seconds == 0;
    if (config.dpop && plain_context && supply != nullptr && supply->Take(&proof)) {
      request.headers.push_back({"DPoP", proof});
    } else if (config.dpop) {
      ProofRequest proof_request{"GET", *htu, "", context.nonce, context.clock_offset_seconds};
      ErrorCode signed_ok = builder.Build(proof_key, proof_request, &proof);
      if (signed_ok != ErrorCode::kOk) {
        return Error(signed_ok, "building the DPoP proof failed");
      }
      request.headers.push_back({"DPoP", proof});
    }
    return request;
  };

  LoadLoop loop(**transport, factory, config.url);
  Clock::time_point start = Clock::now();
  for (long i = 0; i < report.in_flight; ++i) loop.SubmitOne();

  // The measurement period is the one wait here, because completions run on the loop thread.
  std::this_thread::sleep_until(start + std::chrono::duration<double>(config.seconds));
  Clock::time_point end = Clock::now();
  loop.StopAndDrain(report.in_flight);

  loop.Fill(&report);
  report.elapsed_seconds = std::chrono::duration<double>(end - start).count();
  report.connections = (*transport)->counters().connections_opened;
  (*transport)->Shutdown();
  if (supply != nullptr) report.presigned_proofs = supply->taken();
  return report;
}

}  // namespace dpopfleet::cli
