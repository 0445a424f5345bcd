// URL handling for DPoP "htu" values (RFC 9449 section 4.2 and 4.3, RFC 3986 section 6).

#ifndef DPOPFLEET_URL_H_
#define DPOPFLEET_URL_H_

#include <string>
#include <string_view>

#include "dpopfleet/status.h"

namespace dpopfleet {

// NormalizeHtu returns the "htu" a client puts in a proof for a request to |url|: scheme
// and host lower-cased, the scheme's default port removed, userinfo, query and fragment
// removed, dot segments resolved and an empty path replaced by "/". Percent-encoding and
// trailing slashes are kept exactly as they will be sent. Only http and https are accepted;
// anything else fails with kInvalidUrl naming the URL.
Result<std::string> NormalizeHtu(std::string_view url);

// CanonicalHtu returns the form a server compares "htu" values in: NormalizeHtu plus
// upper-case hex digits in percent-encodings and decoding of percent-encoded unreserved
// characters (ALPHA, DIGIT, '-', '.', '_', '~'). Two URLs that are equivalent under RFC 3986
// syntax- and scheme-based normalisation have equal CanonicalHtu values.
Result<std::string> CanonicalHtu(std::string_view url);

// JoinUrl appends |path| to |base| with exactly one '/' between them, whether or not
// |base| ends or |path| starts with '/'. An absolute |path| ("https://…") is returned as is.
std::string JoinUrl(std::string_view base, std::string_view path);

// UrlOrigin returns "scheme://host[:port]" of |url|, lower-cased and without a default
// port, the key under which per-server state (nonces, clock offsets) is kept.
Result<std::string> UrlOrigin(std::string_view url);

// IsLoopbackUrl returns true if |url|'s host is "localhost", in 127.0.0.0/8, or "[::1]".
// Plain http is allowed only for such URLs.
bool IsLoopbackUrl(std::string_view url);

}  // namespace dpopfleet

#endif  // DPOPFLEET_URL_H_
