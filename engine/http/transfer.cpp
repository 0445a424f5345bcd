#include "transfer.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "dpopfleet/url.h"

namespace dpopfleet::http {
namespace {

bool StartsWithNoCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                           text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

size_t WriteBody(char* data, size_t size, size_t count, void* user) {
  auto* request = static_cast<PendingRequest*>(user);
  size_t bytes = size * count;
  if (request->response.body.size() + bytes > kMaxResponseBytes) {
    request->body_too_large = true;
    return 0;
  }
  request->response.body.append(data, bytes);
  return bytes;
}

size_t CollectHeader(char* data, size_t size, size_t count, void* user) {
  auto* request = static_cast<PendingRequest*>(user);
  size_t bytes = size * count;
  std::string_view line(data, bytes);

  // A status line starts a new header block (after 100 Continue or an interim response),
  // so only the final response's headers remain.
  if (StartsWithNoCase(line, "http/")) {
    request->response.headers.clear();
    return bytes;
  }

  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return bytes;

  HttpHeader header;
  header.name = std::string(Trim(line.substr(0, colon)));
  std::transform(header.name.begin(), header.name.end(), header.name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  header.value = std::string(Trim(line.substr(colon + 1)));
  request->response.headers.push_back(std::move(header));
  return bytes;
}

// StopSilentResend is libcurl's CURLOPT_PREREQFUNCTION, called each time a request is about
// to be sent. NOTE: when a reused connection dies before any response byte, libcurl 7.88
// sends the request again on a fresh connection with the same headers, without telling the
// caller (tests/http/transport_resend_test.cpp shows it). The same DPoP proof (same jti)
// would then reach a server that may already have recorded it and so rejects the resend as
// a replay, and the first send would be missing from the attempt records. Aborting the
// second send hands the failure to the retry policy, which builds the next attempt with a
// fresh proof. The fresh connection libcurl opened for the resend is closed unused.
int StopSilentResend(void* user, char*, char*, int, int) {
  auto* request = static_cast<PendingRequest*>(user);
  if (request->sends++ == 0) return CURL_PREREQFUNC_OK;
  request->resend_stopped = true;
  return CURL_PREREQFUNC_ABORT;
}

// MethodProfile names the options SetMethod leaves on a handle for |request|: its method,
// and whether libcurl sends a body for it.
std::string MethodProfile(const HttpRequest& request) {
  bool without_body = request.method == "HEAD" || (request.method == "GET" && request.body.empty());
  return without_body ? request.method : request.method + "+body";
}

// SetMethod selects the request's method on a handle just reset. The body itself is set
// per attempt by SetBody.
bool SetMethod(CURL* easy, const HttpRequest& request) {
  if (request.method == "HEAD") return curl_easy_setopt(easy, CURLOPT_NOBODY, 1L) == CURLE_OK;
  if (request.method == "GET" && request.body.empty()) {
    return curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L) == CURLE_OK;
  }
  if (request.method == "POST") return true;
  return curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str()) == CURLE_OK;
}

// SetBody points libcurl at the attempt's body, for methods that send one.
bool SetBody(CURL* easy, const HttpRequest& request) {
  if (request.method == "HEAD" || (request.method == "GET" && request.body.empty())) return true;

  // CURLOPT_POSTFIELDS points into request.body, which lives until the attempt ends. It
  // also selects POST, which a CUSTOMREQUEST set by SetMethod overrides on the wire.
  bool ok = curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                             static_cast<curl_off_t>(request.body.size())) == CURLE_OK;
  ok &= curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.data()) == CURLE_OK;
  return ok;
}

// ProxyFromEnvironment returns whether any proxy variable libcurl reads is set. Without
// one, SetSharedOptions sets CURLOPT_PROXY to "" (no proxy), which spares libcurl 7.88 the
// proxy getenv calls it otherwise makes for every transfer. The environment is read once per
// process.
bool ProxyFromEnvironment() {
  static const bool set = [] {
    for (const char* name : {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
                             "all_proxy", "ALL_PROXY"}) {
      const char* value = std::getenv(name);
      if (value != nullptr && value[0] != '\0') return true;
    }
    return false;
  }();
  return set;
}

// SetSharedOptions sets the options that are the same for every attempt of one kind: the
// transport's settings, the callbacks and the method.
bool SetSharedOptions(const TransportOptions& options, CURL* easy, const HttpRequest& request) {
  long http_version = options.http2 ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1;
  bool ok = true;
  ok &= curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https") == CURLE_OK;
  ok &= SetMethod(easy, request);
  ok &= curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, http_version) == CURLE_OK;
  ok &= curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L) == CURLE_OK;
  ok &= curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L) == CURLE_OK;
  ok &= curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                         static_cast<long>(options.connect_timeout.count())) == CURLE_OK;
  ok &= curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L) == CURLE_OK;
  ok &= curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L) == CURLE_OK;
  if (!options.ca_file.empty()) {
    ok &= curl_easy_setopt(easy, CURLOPT_CAINFO, options.ca_file.c_str()) == CURLE_OK;
  }
  if (!options.pinned_public_key.empty()) {
    ok &= curl_easy_setopt(easy, CURLOPT_PINNEDPUBLICKEY, options.pinned_public_key.c_str()) ==
          CURLE_OK;
  }
  if (!ProxyFromEnvironment()) {
    // Without a proxy, no_proxy is moot, and setting both stops every environment lookup.
    ok &= curl_easy_setopt(easy, CURLOPT_PROXY, "") == CURLE_OK;
    ok &= curl_easy_setopt(easy, CURLOPT_NOPROXY, "") == CURLE_OK;
  }
  ok &= curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, WriteBody) == CURLE_OK;
  ok &= curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, CollectHeader) == CURLE_OK;
  ok &= curl_easy_setopt(easy, CURLOPT_PREREQFUNCTION, StopSilentResend) == CURLE_OK;
  return ok;
}

}  // namespace

Status CheckUrlAllowed(const std::string& url, bool allow_insecure_http) {
  if (StartsWithNoCase(url, "https://")) return {};

  if (StartsWithNoCase(url, "http://")) {
    if (allow_insecure_http || IsLoopbackUrl(url)) return {};
    return Error(ErrorCode::kInsecureUrl,
                 "refusing plain HTTP to " + url +
                     ": DPoP proofs and tokens would travel unencrypted; use an https:// URL "
                     "(programs using the library on a trusted test network may set "
                     "TransportOptions.allow_insecure_http instead)");
  }
  return Error(ErrorCode::kInvalidUrl,
               "URL '" + url + "' has an unsupported scheme; use an https:// URL");
}

ErrorCode ConfigureEasy(const TransportOptions& options, long timeout_ms, PendingRequest* request) {
  CURL* easy = request->easy.handle.get();
  const HttpRequest& http = request->request;

  curl_slist* list = nullptr;
  for (const HttpHeader& header : http.headers) {
    std::string line = header.name + ": " + header.value;
    curl_slist* grown = curl_slist_append(list, line.c_str());
    if (grown == nullptr) {
      curl_slist_free_all(list);
      return ErrorCode::kInternal;
    }
    list = grown;
  }

  // An empty Expect stops libcurl from waiting for 100 Continue before sending a body.
  curl_slist* grown = curl_slist_append(list, "Expect:");
  if (grown == nullptr) {
    curl_slist_free_all(list);
    return ErrorCode::kInternal;
  }
  request->header_list.reset(grown);

  // A handle last used for another kind of request starts over, so that no method option
  // of that request lingers.
  std::string profile = MethodProfile(http);
  if (request->easy.profile != profile) {
    if (!request->easy.profile.empty()) curl_easy_reset(easy);
    request->easy.profile.clear();
    if (!SetSharedOptions(options, easy, http)) return ErrorCode::kInternal;
    request->easy.profile = std::move(profile);
  }

  bool ok = true;
  ok &= curl_easy_setopt(easy, CURLOPT_URL, http.url.c_str()) == CURLE_OK;
  ok &= curl_easy_setopt(easy, CURLOPT_HTTPHEADER, request->header_list.get()) == CURLE_OK;
  ok &= SetBody(easy, http);
  ok &= curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, timeout_ms) == CURLE_OK;
  ok &= curl_easy_setopt(easy, CURLOPT_WRITEDATA, request) == CURLE_OK;
  ok &= curl_easy_setopt(easy, CURLOPT_HEADERDATA, request) == CURLE_OK;
  ok &= curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, request->error_buffer) == CURLE_OK;
  ok &= curl_easy_setopt(easy, CURLOPT_PRIVATE, request) == CURLE_OK;
  ok &= curl_easy_setopt(easy, CURLOPT_PREREQDATA, request) == CURLE_OK;
  return ok ? ErrorCode::kOk : ErrorCode::kInternal;
}

std::pair<ErrorCode, std::string> TransportFailure(CURLcode code, const PendingRequest& request) {
  std::string message = request.error_buffer[0] != '\0' ? request.error_buffer
                                                         : curl_easy_strerror(code);
  const std::string& url = request.request.url;
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
      return {ErrorCode::kConnectFailed, "connection to " + url + " failed: " + message};
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
      // A TLS server closes a connection that starts with a plain HTTP request, which
      // looks like any other reset from here.
      if (StartsWithNoCase(url, "http://")) {
        return {ErrorCode::kConnectFailed, "connection reset by " + url + ": " + message +
                                               "; if the server expects TLS, use an https:// URL"};
      }
      return {ErrorCode::kConnectFailed, "connection reset by " + url + ": " + message};
    case CURLE_OPERATION_TIMEDOUT:
      return {ErrorCode::kTimedOut, "request to " + url + " timed out: " + message +
                                        "; try again later, or raise the per-attempt timeout "
                                        "(TransportOptions.attempt_timeout) if the server is "
                                        "slow"};
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
      return {ErrorCode::kTlsFailure,
              "TLS with " + url + " failed: " + message +
                  "; check the CA file that signs the server's certificate (--ca-file, "
                  "TransportOptions.ca_file) and any pinned public key "
                  "(TransportOptions.pinned_public_key)"};
    case CURLE_WRITE_ERROR:
      if (request.body_too_large) {
        return {ErrorCode::kProtocolError, "response from " + url + " is larger than " +
                                               std::to_string(kMaxResponseBytes) + " bytes"};
      }
      break;
    case CURLE_ABORTED_BY_CALLBACK:
      if (request.resend_stopped) {
        return {ErrorCode::kConnectFailed,
                "connection died before any response byte from " + url +
                    "; libcurl's resend of the same DPoP proof was stopped, so the next "
                    "attempt carries a fresh one"};
      }
      break;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return {ErrorCode::kInvalidUrl, "URL '" + url + "' is invalid: " + message};
    default:
      break;
  }
  return {ErrorCode::kProtocolError, "request to " + url + " failed: " + message};
}

}  // namespace dpopfleet::http
