// Response fields the transport reads besides the status: DPoP nonces, nonce challenges in
// both RFC 9449 forms, and Date for clock skew.

#ifndef DPOPFLEET_ENGINE_HTTP_RESPONSE_ANALYSIS_H_
#define DPOPFLEET_ENGINE_HTTP_RESPONSE_ANALYSIS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dpopfleet/transport.h"

namespace dpopfleet::http {

// ParseHttpDate returns the Unix time of an RFC 9110 HTTP-date in any of its three forms
// (IMF-fixdate, RFC 850, asctime), parsed by curl_getdate, or nullopt if it is not a date.
std::optional<std::int64_t> ParseHttpDate(std::string_view value);

// IsNonceChallenge returns true if |response| demands a DPoP nonce: 400 with a JSON body
// whose "error" is "use_dpop_nonce" (authorization server form), or 401 with a
// WWW-Authenticate DPoP challenge whose error is "use_dpop_nonce" (resource server form).
bool IsNonceChallenge(const HttpResponse& response);

// HttpDateCache parses Date values with ParseHttpDate and remembers the last one, because
// a busy server sends the same Date text for a whole second. Not thread-safe.
class HttpDateCache {
 public:
  std::optional<std::int64_t> Parse(std::string_view value);

 private:
  std::string last_text_;
  std::optional<std::int64_t> last_value_;
};

// ClockOffsetFromDate returns the server-minus-local offset implied by |response|'s Date
// header at local time |local_unix_millis|, or nullopt without a valid Date.
std::optional<std::int64_t> ClockOffsetFromDate(const HttpResponse& response,
                                                std::int64_t local_unix_millis,
                                                HttpDateCache* dates);

}  // namespace dpopfleet::http

#endif  // DPOPFLEET_ENGINE_HTTP_RESPONSE_ANALYSIS_H_
