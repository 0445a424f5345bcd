#include "bench_http_run.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "bench_http_proofs.h"
#include "dpopfleet/oauth_json.h"
#include "dpopfleet/oauth_token.h"
#include "proof_key_file.h"
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
    report->statuses = statuses_;
  }

  // FailingAlike returns true when requests have ended, none got a response and all failed
  // with the same error, as when the server cannot be reached.
  bool FailingAlike() {
    std::lock_guard lock(mutex_);
    return failed_ > 0 && completed_ == 0 && statuses_.size() == 1 && statuses_.count(0) == 1 && errors_alike_;
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
      ++statuses_[result.response ? result.response->status : 0];
      if (ok) {
        ++completed_;
      } else {
        ++failed_;
        ErrorCode code = result.error ? result.error->code() : ErrorCode::kHttpStatus;
        if (first_error_.empty()) {
          first_error_ = result.error.has_value()
                             ? result.error->ToString()
                             : "HTTP " + std::to_string(result.response->status) + ": " +
                                   OAuthErrorMessage(result.response->body);
          first_error_code_ = code;
        }
        errors_alike_ = errors_alike_ && code == first_error_code_;
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
  ErrorCode first_error_code_ = ErrorCode::kOk;
  bool errors_alike_ = true;
  std::map<long, std::uint64_t> statuses_;
};

// CheckUrl rejects a URL the transport would refuse, so that the run does not fail every
// request for --seconds.
Status CheckUrl(const HttpBenchConfig& config) {
  Result<std::string> htu = NormalizeHtu(config.url);
  if (!htu.ok()) {
    return Error(ErrorCode::kInvalidArgument,
                 "--url " + config.url + " is not an http or https URL; pass one such as https://127.0.0.1:8443/");
  }
  bool plain_http = htu->rfind("http://", 0) == 0;
  if (plain_http && !config.allow_insecure_http && !IsLoopbackUrl(config.url)) {
    return Error(ErrorCode::kInvalidArgument,
                 "--url " + config.url + " is plain HTTP to a host other than loopback, which the transport "
                 "rejects because proofs and tokens would travel unencrypted; use https://, or pass "
                 "--allow-insecure-http on a trusted test network");
  }
  return {};
}

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
  return CheckUrl(config);
}

// LoadBenchKey returns the key that signs the proofs: config.key_file, or a fresh key. With
// a DPoP-bound token, the key must be the one the token's cnf.jkt names, because the server
// rejects proofs signed by any other.
Result<ProofKey> LoadBenchKey(const HttpBenchConfig& config) {
  Result<P256Key> key = config.key_file.empty() ? P256Key::Generate() : LoadProofKeyFile(config.key_file);
  if (!key.ok()) {
    if (config.key_file.empty()) return key.error();
    return Error(ErrorCode::kInvalidArgument, key.error().message());
  }
  ProofKey proof_key = ProofKey::Create(std::move(*key));
  if (!config.dpop || config.access_token.empty()) return proof_key;

  auto claims = JsonFields::Parse(DecodeTokenClaims(config.access_token), "access token claims");
  std::optional<JsonFields> cnf = claims.ok() ? claims->Object("cnf") : std::nullopt;
  std::optional<std::string> jkt = cnf ? cnf->String("jkt") : std::nullopt;
  if (jkt && *jkt != proof_key.thumbprint()) {
    std::string fix = config.key_file.empty()
                          ? "pass --key with the agent's key, such as the agent-N.jwk file `mint --export-keys` wrote"
                          : "pass the key file of the agent that minted the token";
    return Error(ErrorCode::kInvalidArgument, "the access token is bound to key thumbprint " + *jkt +
                                                  " but the proofs would be signed by " + proof_key.thumbprint() +
                                                  "; " + fix);
  }
  return proof_key;
}

}  // namespace

Result<HttpBenchReport> RunHttpBench(const HttpBenchConfig& config) {
  Status valid = CheckConfig(config);
  if (!valid.ok()) return valid.error();
  Result<std::string> htu = NormalizeHtu(config.url);
  if (!htu.ok()) return htu.error();
  std::string ath = config.access_token.empty() ? "" : AccessTokenHash(config.access_token);
  std::string authorization;
  if (!config.access_token.empty()) authorization = (config.dpop ? "DPoP " : "Bearer ") + config.access_token;

  HttpBenchReport report;
  report.in_flight = config.http2 ? config.connections * config.streams : config.connections;

  TransportOptions options;
  options.http2 = config.http2;
  options.max_host_connections = config.connections;
  options.max_total_connections = config.connections;
  options.max_concurrent_streams = config.streams;
  options.max_in_flight = report.in_flight;
  options.ca_file = config.ca_file;
  options.allow_insecure_http = config.allow_insecure_http;
  auto transport = Transport::Create(options);
  if (!transport.ok()) return transport.error();

  Result<ProofKey> loaded = LoadBenchKey(config);
  if (!loaded.ok()) return loaded.error();
  ProofKey proof_key = std::move(*loaded);
  ProofBuilder builder;

  // Worker threads sign ahead on the cores the loop thread does not use. The queue holds 256
  // proofs, so at thousands of requests per second a proof's iat is milliseconds old when sent.
  unsigned workers = std::max(1u, std::thread::hardware_concurrency()) - 1;
  std::unique_ptr<ProofSupply> supply;
  if (config.dpop && workers > 0) {
    supply = std::make_unique<ProofSupply>(proof_key, *htu, ath, workers, 256);
  }

  // The factory runs on the transport's loop thread, so one proof buffer suffices.
  std::string proof;
  RequestFactory factory = [&](const AttemptContext& context) -> Result<HttpRequest> {
    HttpRequest request;
    request.url = config.url;
    if (!authorization.empty()) request.headers.push_back({"Authorization", authorization});
    bool plain_context = context.nonce.empty() && context.clock_offset_seconds == 0;
    if (config.dpop && plain_context && supply != nullptr && supply->Take(&proof)) {
      request.headers.push_back({"DPoP", proof});
    } else if (config.dpop) {
      ProofRequest proof_request{"GET", *htu, ath, context.nonce, context.clock_offset_seconds};
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
  // After the first second, a run whose every request failed alike, such as a refused
  // connection, stops instead of failing for the remaining time.
  auto planned_end = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(config.seconds));
  std::this_thread::sleep_until(std::min(planned_end, start + std::chrono::seconds(1)));
  if (Clock::now() < planned_end && loop.FailingAlike()) {
    report.stopped_early = "every request of the first second failed with the same error and none got a response";
  } else {
    std::this_thread::sleep_until(planned_end);
  }
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
