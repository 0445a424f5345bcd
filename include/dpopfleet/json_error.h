// OAuth 2.0 error responses (RFC 6749 section 5.2) parsed with simdjson, and the one way
// every layer reports a response body it could not use.

#ifndef DPOPFLEET_JSON_ERROR_H_
#define DPOPFLEET_JSON_ERROR_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "dpopfleet/status.h"

namespace dpopfleet {

// OAuthError is the content of an error response body.
struct OAuthError {
  std::string error;
  std::string error_description;
  std::string error_uri;
};

// kBodyExcerptBytes is how many leading bytes of a body an error message shows. It is kept
// short so that a body carrying a token or secret shows at most a prefix of it.
inline constexpr std::size_t kBodyExcerptBytes = 48;

// BodyExcerpt returns the first kBodyExcerptBytes of |body| with control and non-ASCII bytes
// escaped as \xNN, followed by "…" when the body is longer.
std::string BodyExcerpt(std::string_view body);

// UnusableBodyError returns a kInvalidJson error saying that the |status| response from
// |endpoint| could not be used because of |problem|, with the body's excerpt.
Error UnusableBodyError(std::string_view endpoint, long status, std::string_view problem,
                        std::string_view body);

// ParseOAuthError parses |body| as an RFC 6749 error object. It returns the members found
// ("error" is required and must be a string; the others are optional strings), or
// kInvalidJson built with UnusableBodyError.
Result<OAuthError> ParseOAuthError(std::string_view endpoint, long status,
                                   std::string_view body);

// IsUseDpopNonceError returns true if |body| is a JSON object whose "error" member is the
// string "use_dpop_nonce", the authorization server's nonce demand (RFC 9449 section 8).
bool IsUseDpopNonceError(std::string_view body);

}  // namespace dpopfleet

#endif  // DPOPFLEET_JSON_ERROR_H_
