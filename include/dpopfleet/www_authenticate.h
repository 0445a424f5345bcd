// Parsing of WWW-Authenticate header values (RFC 9110 section 11.6.1) and recognition of
// the DPoP nonce challenge a resource server sends (RFC 9449 section 9).

#ifndef DPOPFLEET_WWW_AUTHENTICATE_H_
#define DPOPFLEET_WWW_AUTHENTICATE_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dpopfleet/status.h"

namespace dpopfleet {

// AuthChallenge is one challenge: a scheme followed by either a token68 or auth-params.
struct AuthChallenge {
  // scheme is as sent; schemes compare case-insensitively.
  std::string scheme;

  // token68 is the challenge's token68 form, or empty.
  std::string token68;

  // params are the auth-params in order, names lower-cased and quoted-string values
  // unescaped.
  std::vector<std::pair<std::string, std::string>> params;

  // Param returns the value of the first auth-param named |lower_case_name|, or nullptr.
  const std::string* Param(std::string_view lower_case_name) const;
};

// ParseWwwAuthenticate parses one WWW-Authenticate field value, which may carry several
// comma-separated challenges. It returns the challenges in order, or kProtocolError naming
// the value and the offset where it stops following RFC 9110's grammar.
Result<std::vector<AuthChallenge>> ParseWwwAuthenticate(std::string_view value);

// IsDpopNonceChallenge returns true if |value| parses and contains a challenge with scheme
// "DPoP" whose "error" auth-param is exactly "use_dpop_nonce". A match only in another
// parameter, such as realm="use_dpop_nonce_blocklist", does not count.
bool IsDpopNonceChallenge(std::string_view value);

}  // namespace dpopfleet

#endif  // DPOPFLEET_WWW_AUTHENTICATE_H_
