// One attempt of a request: building it through the factory, handing it to libcurl, and
// reading its result into the retry policy.

#include <spdlog/spdlog.h>

#include <algorithm>

#include "dpopfleet/url.h"
#include "response_analysis.h"
#include "transport_loop.h"

namespace dpopfleet::http {
namespace {

int HttpVersionNumber(long curl_version) {
  switch (curl_version) {
    case CURL_HTTP_VERSION_1_0: return 10;
    case CURL_HTTP_VERSION_1_1: return 11;
    case CURL_HTTP_VERSION_2_0: return 20;
    case CURL_HTTP_VERSION_3: return 30;
    default: return 0;
  }
}

}  // namespace

Result<HttpRequest> CurlTransport::BuildAttempt(PendingRequest& request) {
  AttemptContext context;
  context.attempt = request.retry.attempts + 1;
  NonceScope scope = request.options.nonce_scope;
  if (!request.origin.empty()) {
    context.nonce = servers_.Nonce(request.origin, scope);
    context.clock_offset_seconds = servers_.ClockOffsetSeconds(request.origin);
  }

  Result<HttpRequest> built = request.factory(context);
  if (!built.ok() || !request.origin.empty()) return built;

  // Without a url_hint the origin is known only now. If the server already gave a nonce or
  // a clock offset, the attempt is built again so that the proof sent carries them.
  Result<std::string> origin = UrlOrigin(built->url);
  if (!origin.ok()) return origin.error();
  request.origin = std::move(*origin);

  std::string nonce = servers_.Nonce(request.origin, scope);
  std::int64_t offset = servers_.ClockOffsetSeconds(request.origin);
  if (nonce.empty() && offset == 0) return built;

  context.nonce = std::move(nonce);
  context.clock_offset_seconds = offset;
  return request.factory(context);
}

void CurlTransport::StartAttempt(RequestPtr request) {
  Result<HttpRequest> built = BuildAttempt(*request);
  if (!built.ok()) return Fail(std::move(request), built.error());

  // Attempts mostly target the URL of the attempt before, so the last allowed URL is kept.
  if (built->url != last_allowed_url_) {
    Status allowed = CheckUrlAllowed(built->url, options_.allow_insecure_http);
    if (!allowed.ok()) return Fail(std::move(request), allowed.error());
    last_allowed_url_ = built->url;
  }

  // Only a request without a url_hint can find its lane full here, having learnt its origin
  // just now. It waits in the lane and is built again, with the nonce of that time, when
  // its turn comes.
  if (!lanes_.HasRoom(request->origin)) {
    bool retry = request->retry.attempts > 0;
    lanes_.Push(std::move(request), retry);
    return;
  }

  // The nonce the proof carries is the one the cache held when the factory ran.
  std::string nonce = servers_.Nonce(request->origin, request->options.nonce_scope);
  std::vector<std::string>& sent = request->retry.sent_nonces;
  if (!nonce.empty() && std::find(sent.begin(), sent.end(), nonce) == sent.end()) {
    sent.push_back(std::move(nonce));
  }

  request->request = std::move(*built);
  request->response = HttpResponse();
  request->body_too_large = false;
  request->sends = 0;
  request->resend_stopped = false;
  request->error_buffer[0] = '\0';
  request->easy = pool_.Acquire();
  if (!request->easy.handle) {
    return Fail(std::move(request),
                Error(ErrorCode::kInternal, "curl_easy_init failed; the process is out of memory"));
  }

  std::int64_t remaining = request->deadline_unix_millis - options_.clock->NowUnixMillis();
  long timeout = static_cast<long>(
      std::clamp<std::int64_t>(remaining, 1, options_.attempt_timeout.count()));
  if (ConfigureEasy(options_, timeout, request.get()) != ErrorCode::kOk ||
      curl_multi_add_handle(multi_.get(), request->easy.handle.get()) != CURLM_OK) {
    pool_.Release(std::move(request->easy));
    return Fail(std::move(request),
                Error(ErrorCode::kInternal, "libcurl rejected the options for " +
                                                request->request.url +
                                                "; the libcurl build may lack HTTP/2 or TLS"));
  }

  counters_.attempts.fetch_add(1, std::memory_order_relaxed);
  lanes_.OnStarted(request->origin);
  PendingRequest* raw = request.get();
  in_flight_.emplace(raw, std::move(request));
}

void CurlTransport::FinishAttempt(PendingRequest* raw, CURLcode code) {
  auto entry = in_flight_.find(raw);
  if (entry == in_flight_.end()) return;
  RequestPtr request = std::move(entry->second);
  in_flight_.erase(entry);

  CURL* easy = request->easy.handle.get();
  long status = 0;
  long http_version = 0;
  curl_off_t retry_after = 0;
  long connects = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &http_version);
  curl_easy_getinfo(easy, CURLINFO_RETRY_AFTER, &retry_after);
  curl_easy_getinfo(easy, CURLINFO_NUM_CONNECTS, &connects);
  lanes_.OnFinished(request->origin, code == CURLE_OK ? HttpVersionNumber(http_version) : 0);
  counters_.connections_opened.fetch_add(static_cast<std::uint64_t>(connects),
                                         std::memory_order_relaxed);
  curl_multi_remove_handle(multi_.get(), easy);

  AttemptOutcome outcome;
  if (code != CURLE_OK) {
    std::tie(outcome.error, outcome.error_detail) = TransportFailure(code, *request);
  } else {
    HttpResponse& response = request->response;
    response.status = status;
    response.http_version = HttpVersionNumber(http_version);
    outcome.status = status;

    std::int64_t now = options_.clock->NowUnixMillis();
    NonceScope scope = request->options.nonce_scope;
    const std::string* response_nonce = response.Header("dpop-nonce");
    if (response_nonce != nullptr && !response_nonce->empty()) {
      servers_.StoreNonce(request->origin, scope, *response_nonce);
    }
    std::optional<std::int64_t> offset = ClockOffsetFromDate(response, now, &dates_);
    if (offset.has_value()) servers_.StoreClockOffset(request->origin, *offset);

    // libcurl reports 0 both for "Retry-After: 0" and for no header, so presence comes
    // from the header list. A date in the past yields a negative delta, treated as 0.
    if (response.Header("retry-after") != nullptr) {
      outcome.retry_after = std::chrono::seconds(std::max<curl_off_t>(retry_after, 0));
    }
    outcome.nonce_challenge = IsNonceChallenge(response);
    outcome.available_nonce = servers_.Nonce(request->origin, scope);
  }
  pool_.Release(std::move(request->easy));
  request->header_list.reset();

  RetryDecision decision =
      DecideRetry(options_.retry, outcome, request->options.max_attempts,
                  options_.clock->NowUnixMillis(), request->deadline_unix_millis,
                  *options_.random, &request->retry);

  AttemptRecord record;
  record.status = outcome.status;
  record.error = outcome.error;
  record.reason = decision.reason;
  record.wait_before = request->next_wait;
  request->result.attempts.push_back(std::move(record));
  if (request->result.attempts.size() == 1 && request->options.on_first_attempt) {
    request->options.on_first_attempt();
  }

  if (decision.retry) {
    switch (decision.kind) {
      case RetryKind::kRateLimited: counters_.retries_429.fetch_add(1); break;
      case RetryKind::kServerError: counters_.retries_5xx.fetch_add(1); break;
      case RetryKind::kConnection: counters_.retries_connection.fetch_add(1); break;
      case RetryKind::kNonce: counters_.retries_nonce.fetch_add(1); break;
      case RetryKind::kNone: break;
    }
    spdlog::debug("transport: retrying {} after {} ms: {}", request->request.url,
                  decision.wait.count(), decision.reason);
    request->next_wait = decision.wait;
    Schedule(std::move(request), decision.wait);
    return;
  }

  if (code == CURLE_OK) request->result.response = std::move(request->response);
  request->result.error = std::move(decision.stop_error);
  Deliver(std::move(request));
}

void CurlTransport::Fail(RequestPtr request, Error error) {
  request->result.error = std::move(error);
  Deliver(std::move(request));
}

}  // namespace dpopfleet::http
