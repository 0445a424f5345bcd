// Requests and replies as the realm's handlers see them, independent of libmicrohttpd.

#ifndef DPOPFLEET_ENGINE_REALM_HTTP_TYPES_H_
#define DPOPFLEET_ENGINE_REALM_HTTP_TYPES_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dpopfleet::realm {

// HttpExchange is one complete request. Header names are lower-cased; repeated headers
// stay separate entries, because DPoP requires exactly one "DPoP" header.
struct HttpExchange {
  std::string method;
  std::string path;  // without the query
  std::map<std::string, std::string> query;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  // scheme is "https" or "http": the listener's, or X-Forwarded-Proto from a loopback peer.
  std::string scheme;
  std::string peer_address;
  bool peer_is_loopback = false;

  // Header returns the first header named |lower_case_name|, or nullptr.
  const std::string* Header(std::string_view lower_case_name) const;

  // HeaderCount returns how many headers are named |lower_case_name|.
  int HeaderCount(std::string_view lower_case_name) const;

  // QueryParam returns the query parameter |name|, or "".
  std::string QueryParam(const std::string& name) const;
};

// HttpReply is what a handler returns. reset_connection closes the connection without
// sending anything, the "connection reset" fault.
struct HttpReply {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  bool reset_connection = false;

  // reason is the stable rejection reason for counters and logs; empty on success.
  std::string reason;

  // log_ids lists the ids a rejection concerns, such as " client_id=cli_x jti=abc", for
  // its log line.
  std::string log_ids;

  HttpReply& AddHeader(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
};

// JsonReply returns a reply with |status| and the JSON text |body|.
HttpReply JsonReply(int status, std::string body);

// ErrorReply returns {"error":|error|,"error_description":|description|} with |status|;
// |reason| (default |error|) is what counters and logs record.
HttpReply ErrorReply(int status, std::string_view error, std::string_view description,
                     std::string_view reason = {});

// FormDecode parses an application/x-www-form-urlencoded body. A name that appears more
// than once keeps its first value and is added to |*duplicate_names|, so callers can reject
// the request as RFC 6749 section 3.2 requires.
std::map<std::string, std::string> FormDecode(std::string_view body,
                                              std::vector<std::string>* duplicate_names);

// CheckFormContentType returns nullopt if |exchange| declares a Content-Type of
// application/x-www-form-urlencoded (parameters such as charset allowed, names compared
// without case), as RFC 6749 section 3.2 requires at the token endpoint and RFC 7662 and
// RFC 7009 at introspection and revocation. Otherwise it returns a 400 invalid_request
// reply that names the Content-Type received.
std::optional<HttpReply> CheckFormContentType(const HttpExchange& exchange);

// PercentDecode decodes %XX escapes and, when |plus_is_space|, '+' as a space.
std::string PercentDecode(std::string_view text, bool plus_is_space);

// SplitSpaces returns the non-empty space-separated words of |text|, as OAuth scope
// strings (RFC 6749 section 3.3) and the route table's method lists use them.
std::vector<std::string_view> SplitSpaces(std::string_view text);

// ContainsWord returns true if |word| is one of SplitSpaces(|list|).
bool ContainsWord(std::string_view list, std::string_view word);

// HasAuthScheme returns true if |authorization| starts with |scheme| (compared without case,
// as RFC 9110 section 11.1 requires) followed by a space.
bool HasAuthScheme(std::string_view authorization, std::string_view scheme);

// ConstantTimeEquals compares two strings in time that depends only on their lengths.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// EscapeForLog returns |text| with every byte outside printable ASCII (0x20 to 0x7e) and
// every backslash written as a \xHH escape, so a request-derived value cannot start a new
// log line or send terminal control sequences. The result is cut after 200 input bytes,
// marked with "…".
std::string EscapeForLog(std::string_view text);

// ShortenToken returns the first eight characters of |token| followed by "…", so logs can
// correlate a token without revealing it.
std::string ShortenToken(std::string_view token);

}  // namespace dpopfleet::realm

#endif  // DPOPFLEET_ENGINE_REALM_HTTP_TYPES_H_
