// One request as the loop thread tracks it, and the libcurl easy-handle setup and result
// mapping for each of its attempts.

#ifndef DPOPFLEET_ENGINE_HTTP_TRANSFER_H_
#define DPOPFLEET_ENGINE_HTTP_TRANSFER_H_

#include <curl/curl.h>

#include <cstdint>
#include <memory>
#include <string>

#include "curl_handles.h"
#include "dpopfleet/retry_policy.h"
#include "dpopfleet/transport.h"

namespace dpopfleet::http {

// kMaxResponseBytes bounds a response body; a larger one fails the attempt with
// kProtocolError rather than letting one server exhaust memory.
inline constexpr std::size_t kMaxResponseBytes = 8 * 1024 * 1024;

// PendingRequest is a submitted request from Submit until its callback ran. Only the loop
// thread touches it after submission.
struct PendingRequest {
  RequestFactory factory;
  RequestOptions options;
  Transport::Callback callback;

  std::int64_t deadline_unix_millis = 0;

  // origin is UrlOrigin of the request's URL: from url_hint, else from the first attempt.
  std::string origin;

  RetryState retry;
  TransferResult result;

  // next_wait is what the retry policy chose before the attempt about to start.
  std::chrono::milliseconds next_wait{0};

  // The attempt in flight: its easy handle, request, header list and collected response.
  PooledEasy easy;
  CurlSlist header_list;
  HttpRequest request;
  HttpResponse response;
  bool body_too_large = false;

  // sends counts how often libcurl was about to send this attempt. resend_stopped is set
  // when a second send was aborted (see StopSilentResend in transfer.cpp).
  int sends = 0;
  bool resend_stopped = false;
  char error_buffer[CURL_ERROR_SIZE] = {};
};

using PendingRequestPtr = std::unique_ptr<PendingRequest>;

// CheckUrlAllowed returns OK for https:// URLs, and for http:// URLs to loopback hosts or
// when |allow_insecure_http| is set; otherwise kInsecureUrl (or kInvalidUrl for other
// schemes) naming the URL and the fix.
Status CheckUrlAllowed(const std::string& url, bool allow_insecure_http);

// ConfigureEasy sets the options of |request->easy| for the attempt in |request->request|,
// with |timeout_ms| as the attempt's total timeout. A handle whose profile matches the
// attempt's method keeps its shared options, and only the URL, headers, body, timeout and
// callback data are set again. Otherwise the handle is reset and configured in full. It
// returns kOk or kInternal.
ErrorCode ConfigureEasy(const TransportOptions& options, long timeout_ms, PendingRequest* request);

// TransportFailure maps a failed transfer's CURLcode to an ErrorCode and a description that
// names |url| and libcurl's message.
std::pair<ErrorCode, std::string> TransportFailure(CURLcode code, const PendingRequest& request);

}  // namespace dpopfleet::http

#endif  // DPOPFLEET_ENGINE_HTTP_TRANSFER_H_
