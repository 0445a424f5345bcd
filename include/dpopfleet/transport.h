// Transport: many concurrent HTTP requests over libcurl's multi interface, with retries,
// Retry-After, DPoP nonces and clock-skew estimation.
//
// One loop thread owns the CURLM handle. Submit may be called from any thread; it hands the
// request to the loop and returns at once. Each attempt of a request is produced by calling
// its RequestFactory again, so every attempt carries a fresh DPoP proof (new jti, current
// iat, the latest nonce for the server). Every submitted request ends with exactly one
// TransferResult, delivered through its callback on the loop thread, shutdown included. The
// one exception is a request submitted after Shutdown began: its kCancelled result arrives
// on the submitting thread.

#ifndef DPOPFLEET_TRANSPORT_H_
#define DPOPFLEET_TRANSPORT_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "dpopfleet/clock.h"
#include "dpopfleet/crypto.h"
#include "dpopfleet/status.h"

namespace dpopfleet {

// HttpHeader is one header line. Response header names are lower-cased.
struct HttpHeader {
  std::string name;
  std::string value;
};

// HttpRequest is one attempt of a request as it goes on the wire.
struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<HttpHeader> headers;
  std::string body;
};

// HttpResponse is a complete response.
struct HttpResponse {
  long status = 0;
  std::vector<HttpHeader> headers;
  std::string body;

  // http_version is 11 for HTTP/1.1 and 20 for HTTP/2.
  int http_version = 0;

  // Header returns the first header named |lower_case_name|, or nullptr.
  const std::string* Header(std::string_view lower_case_name) const;
};

// NonceScope selects whose DPoP nonces apply. RFC 9449 keeps the authorization server's
// nonces (section 8) apart from each resource server's (section 9), even on one origin.
enum class NonceScope : std::uint8_t { kAuthorizationServer, kResourceServer };

// AttemptContext is the state the transport passes to a factory for one attempt.
struct AttemptContext {
  // attempt counts from 1.
  int attempt = 1;

  // nonce is the latest DPoP nonce cached for the request's origin and scope, or empty.
  std::string nonce;

  // clock_offset_seconds is the estimated server time minus local time for the origin,
  // taken from the Date headers of earlier responses; 0 until one was seen.
  std::int64_t clock_offset_seconds = 0;
};

// RequestFactory builds the attempt described by |context|. An error ends the request with
// that error and no further attempts.
using RequestFactory = std::function<Result<HttpRequest>(const AttemptContext& context)>;

// AttemptRecord describes one attempt for accounting and diagnosis.
struct AttemptRecord {
  // status is the HTTP status, or 0 when no response arrived.
  long status = 0;

  // error is kOk for a response, or why the attempt failed (kConnectFailed, kTimedOut, ...).
  ErrorCode error = ErrorCode::kOk;

  // reason describes why the attempt was retried or why it ended, such as "429 Retry-After 2s",
  // "503", "connection reset", "use_dpop_nonce".
  std::string reason;

  // wait_before is how long the transport waited before this attempt.
  std::chrono::milliseconds wait_before{0};
};

// TransferResult ends every submitted request: the final response (whatever its status),
// or the error that stopped it, plus every attempt.
struct TransferResult {
  std::optional<HttpResponse> response;
  std::optional<Error> error;
  std::vector<AttemptRecord> attempts;
};

// RequestOptions bound one request.
struct RequestOptions {
  NonceScope nonce_scope = NonceScope::kAuthorizationServer;

  // max_attempts caps attempts of every kind together.
  int max_attempts = 8;

  // deadline bounds the whole request, waits included.
  std::chrono::milliseconds deadline{120'000};

  // url_hint, when set, is the URL (or origin) the factory will target. The transport uses
  // it to give the first attempt the cached nonce and clock offset. When it is empty, the
  // transport learns the origin from the first HttpRequest and, if a nonce or offset is
  // cached for it, calls the factory once more so that the attempt sent carries them.
  // Such a request that finds its origin's connections all busy waits and is built again
  // when one is free, so a url_hint also saves that extra factory call.
  std::string url_hint;

  // on_first_attempt, when set, runs once on the loop thread as soon as the first attempt
  // has ended (response, nonce and clock offset already cached), before any retry waits.
  // It must not block. A request that ends before its first attempt is sent (a factory
  // error, a refused URL, shutdown) does not call it.
  std::function<void()> on_first_attempt;
};

// RetryPolicy is the single place that decides whether and when to retry.
struct RetryPolicy {
  // Backoff for 5xx, for 429 without Retry-After and between connection retries:
  // exponential from initial_backoff, with full jitter, clamped to [min_backoff, max_backoff].
  std::chrono::milliseconds initial_backoff{1'000};
  std::chrono::milliseconds min_backoff{1'000};
  std::chrono::milliseconds max_backoff{30'000};

  // max_connection_retries is how often a failed connection is retried: a failed DNS
  // lookup, a refused or reset connection, or an attempt that timed out.
  int max_connection_retries = 3;
};

// TransportOptions configures a Transport.
struct TransportOptions {
  // Connection limits; 0 means libcurl's default.
  // NOTE: with http2, a burst of 1,000 transfers made libcurl 7.88 open every allowed
  // connection in tests (PIPEWAIT set, one connection already up), so set
  // max_host_connections to the handful of HTTP/2 connections wanted per server.
  long max_total_connections = 64;
  long max_host_connections = 16;

  // max_in_flight caps requests whose attempt is under way at once; the rest wait in the
  // transport's queue, where their factory has not run yet. Each origin also gets at most
  // as many transfers as its connections carry at once: max_host_connections for HTTP/1.1,
  // and max_host_connections x max_concurrent_streams (at most 100 streams, the minimum
  // RFC 9113 recommends servers allow) once a response came over HTTP/2.
  // So an attempt is built, and its DPoP proof signed with the latest nonce, just before
  // it goes on the wire.
  long max_in_flight = 1'000;

  // max_concurrent_streams caps HTTP/2 streams per connection (CURLMOPT_MAX_CONCURRENT_STREAMS).
  // The server's own SETTINGS_MAX_CONCURRENT_STREAMS still applies.
  long max_concurrent_streams = 100;

  // Prefer HTTP/2 (over TLS through ALPN) and multiplex streams on one connection.
  bool http2 = true;

  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds attempt_timeout{30'000};

  // ca_file, when not empty, is the PEM bundle used to verify servers instead of the
  // system store. TLS verification is always on.
  std::string ca_file;

  // pinned_public_key, when not empty, is passed to CURLOPT_PINNEDPUBLICKEY
  // ("sha256//<base64>" or a PEM/DER file).
  std::string pinned_public_key;

  // allow_insecure_http permits http:// to non-loopback hosts; http:// to loopback is
  // always allowed.
  bool allow_insecure_http = false;

  RetryPolicy retry;

  // clock and random drive retry timing and jitter; tests inject fakes. Both must outlive
  // the Transport.
  const Clock* clock = &SystemClock();
  RandomSource* random = &SystemRandomSource();
};

// TransportCounters are totals since the Transport was created.
struct TransportCounters {
  std::uint64_t requests_submitted = 0;
  std::uint64_t requests_completed = 0;
  std::uint64_t attempts = 0;
  std::uint64_t retries_429 = 0;
  std::uint64_t retries_5xx = 0;
  std::uint64_t retries_connection = 0;
  std::uint64_t retries_nonce = 0;
  std::uint64_t connections_opened = 0;
};

// Transport runs the event loop. Destroying it shuts it down as Shutdown does.
class Transport {
 public:
  using Callback = std::function<void(TransferResult result)>;

  // Create starts the loop thread. It fails if libcurl cannot be initialised.
  static Result<std::unique_ptr<Transport>> Create(TransportOptions options);

  virtual ~Transport() = default;

  // Submit queues a request. |callback| runs once on the loop thread with the result; it
  // must not block. After Shutdown began, the callback runs with kCancelled on the calling
  // thread, because the loop thread is gone.
  virtual void Submit(RequestFactory factory, RequestOptions options, Callback callback) = 0;

  // Submit queues a request and returns a future for its result.
  std::future<TransferResult> Submit(RequestFactory factory, RequestOptions options = {});

  // Shutdown stops accepting requests, cancels queued and waiting ones and in-flight
  // transfers (each reported with kCancelled), and joins the loop thread. It is idempotent.
  virtual void Shutdown() = 0;

  // CachedNonce returns the latest DPoP nonce for |origin| (see UrlOrigin) and |scope|.
  virtual std::string CachedNonce(const std::string& origin, NonceScope scope) const = 0;

  // ClockOffsetSeconds returns the estimated server-minus-local time for |origin|.
  virtual std::int64_t ClockOffsetSeconds(const std::string& origin) const = 0;

  virtual TransportCounters counters() const = 0;
};

}  // namespace dpopfleet

#endif  // DPOPFLEET_TRANSPORT_H_
