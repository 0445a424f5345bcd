#include "response_analysis.h"

#include <curl/curl.h>

#include <string>

#include "dpopfleet/json_error.h"
#include "dpopfleet/www_authenticate.h"

namespace dpopfleet::http {

std::optional<std::int64_t> ParseHttpDate(std::string_view value) {
  // curl_getdate needs a NUL-terminated string.
  std::string text(value);
  time_t parsed = curl_getdate(text.c_str(), nullptr);
  if (parsed == -1) return std::nullopt;
  return static_cast<std::int64_t>(parsed);
}

bool IsNonceChallenge(const HttpResponse& response) {
  if (response.status == 400) return IsUseDpopNonceError(response.body);
  if (response.status != 401) return false;

  // A server may send several WWW-Authenticate fields, each with several challenges.
  for (const HttpHeader& header : response.headers) {
    if (header.name == "www-authenticate" && IsDpopNonceChallenge(header.value)) return true;
  }
  return false;
}

std::optional<std::int64_t> HttpDateCache::Parse(std::string_view value) {
  if (value != last_text_) {
    last_text_.assign(value);
    last_value_ = ParseHttpDate(value);
  }
  return last_value_;
}

std::optional<std::int64_t> ClockOffsetFromDate(const HttpResponse& response,
                                                std::int64_t local_unix_millis,
                                                HttpDateCache* dates) {
  const std::string* date = response.Header("date");
  if (date == nullptr) return std::nullopt;

  std::optional<std::int64_t> server_seconds = dates->Parse(*date);
  if (!server_seconds.has_value()) return std::nullopt;

  std::int64_t local_seconds =
      local_unix_millis >= 0 ? local_unix_millis / 1000 : (local_unix_millis - 999) / 1000;
  return *server_seconds - local_seconds;
}

}  // namespace dpopfleet::http
