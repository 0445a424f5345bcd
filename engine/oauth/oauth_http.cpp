// Form encoding, Basic authentication and the blocking request helper.

#include "dpopfleet/oauth_http.h"

#include "dpopfleet/base64url.h"
#include "dpopfleet/oauth_json.h"

namespace dpopfleet {
namespace {

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

// StandardBase64 returns padded base64 (RFC 4648 section 4), which HTTP Basic uses.
std::string StandardBase64(std::string_view data) {
  std::string text = Base64UrlEncode(data);
  for (char& c : text) {
    if (c == '-') c = '+';
    if (c == '_') c = '/';
  }
  while (text.size() % 4 != 0) text.push_back('=');
  return text;
}

}  // namespace

std::string FormUrlEncode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size() * 3);
  for (unsigned char c : value) {
    if (IsUnreserved(c)) {
      out.push_back(static_cast<char>(c));
    } else if (c == ' ') {
      out.push_back('+');
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  return out;
}

std::string FormBody(const std::vector<std::pair<std::string_view, std::string_view>>& fields) {
  std::string body;
  for (const auto& [name, value] : fields) {
    if (!body.empty()) body.push_back('&');
    body += FormUrlEncode(name);
    body.push_back('=');
    body += FormUrlEncode(value);
  }
  return body;
}

std::string BasicAuthorization(const ClientCredentials& credentials) {
  std::string pair = FormUrlEncode(credentials.client_id) + ":" + FormUrlEncode(credentials.client_secret);
  return "Basic " + StandardBase64(pair);
}

Error StatusError(const HttpResponse& response, std::string_view what, std::string_view url) {
  ErrorCode code = response.status == 404 ? ErrorCode::kNotFound : ErrorCode::kHttpStatus;
  return Error(code, std::string(what) + " request to " + std::string(url) + " returned HTTP " +
                         std::to_string(response.status) + ": " + OAuthErrorMessage(response.body));
}

Result<HttpResponse> FetchJson(Transport& transport, HttpRequest request, std::string_view what,
                               RequestOptions options) {
  std::string url = request.url;
  RequestFactory factory = [request = std::move(request)](const AttemptContext&) -> Result<HttpRequest> {
    return request;
  };
  TransferResult result = transport.Submit(std::move(factory), options).get();
  if (result.error) return *result.error;
  if (!result.response) {
    return Error(ErrorCode::kInternal, std::string(what) + " request to " + url + " ended without a response");
  }
  if (result.response->status < 200 || result.response->status >= 300) {
    return StatusError(*result.response, what, url);
  }
  return std::move(*result.response);
}

}  // namespace dpopfleet
