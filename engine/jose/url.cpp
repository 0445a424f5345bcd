// htu normalisation (RFC 9449 section 4.3, RFC 3986 section 6) and small URL helpers.

#include "dpopfleet/url.h"

#include <algorithm>
#include <charconv>

namespace dpopfleet {
namespace {

// ParsedUrl contains the parts of an absolute http(s) URL, the scheme and host already
// lower-cased and the port already dropped when it is the scheme's default.
struct ParsedUrl {
  std::string scheme;
  std::string host;  // an IPv6 literal keeps its brackets
  std::string port;  // decimal without leading zeros, or empty
  std::string_view path;
};

std::string ToLower(std::string_view text) {
  std::string lower(text);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  return lower;
}

Error InvalidUrl(std::string_view url, std::string_view reason) {
  return Error(ErrorCode::kInvalidUrl, "invalid URL \"" + std::string(url) + "\": " +
                                           std::string(reason));
}

// ParseHostPort splits |authority| (userinfo already removed) into host and port.
bool ParseHostPort(std::string_view authority, std::string_view scheme, ParsedUrl* out) {
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {
    std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return false;
    host = authority.substr(0, close + 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return false;
      port = rest.substr(1);
    }
  } else if (std::size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (host.empty()) return false;
  out->host = ToLower(host);

  if (port.empty()) return true;
  unsigned value = 0;
  auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (error != std::errc() || end != port.data() + port.size() || value > 65535) return false;
  unsigned default_port = scheme == "https" ? 443 : 80;
  if (value != default_port) out->port = std::to_string(value);
  return true;
}

Result<ParsedUrl> ParseUrl(std::string_view url) {
  for (char c : url) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      return InvalidUrl(url, "it contains a space or control character; percent-encode it");
    }
  }

  std::size_t separator = url.find("://");
  if (separator == std::string_view::npos) {
    return InvalidUrl(url, "it is not absolute; use http://host/path or https://host/path");
  }
  ParsedUrl parsed;
  parsed.scheme = ToLower(url.substr(0, separator));
  if (parsed.scheme != "http" && parsed.scheme != "https") {
    return InvalidUrl(url, "the scheme is not http or https");
  }

  std::string_view rest = url.substr(separator + 3);
  std::size_t authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  rest = authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);

  if (std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  if (!ParseHostPort(authority, parsed.scheme, &parsed)) {
    return InvalidUrl(url, "the host or port is missing or invalid");
  }

  parsed.path = rest.substr(0, rest.find_first_of("?#"));
  return parsed;
}

// RemoveDotSegments implements RFC 3986 section 5.2.4 on an absolute path.
std::string RemoveDotSegments(std::string_view input) {
  std::string output;
  output.reserve(input.size());
  while (!input.empty()) {
    if (input.starts_with("../")) {
      input.remove_prefix(3);
    } else if (input.starts_with("./")) {
      input.remove_prefix(2);
    } else if (input.starts_with("/./")) {
      input.remove_prefix(2);
    } else if (input == "/.") {
      input = "/";
    } else if (input.starts_with("/../") || input == "/..") {
      input = input.size() == 3 ? std::string_view("/") : input.substr(3);
      std::size_t last = output.rfind('/');
      output.resize(last == std::string::npos ? 0 : last);
    } else if (input == "." || input == "..") {
      input = {};
    } else {
      std::size_t next = input.find('/', 1);
      std::string_view segment = input.substr(0, next);
      output += segment;
      input.remove_prefix(segment.size());
    }
  }
  return output;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '.' || c == '_' || c == '~';
}

// NormalizePercentEncoding upper-cases the hex digits of every percent-encoding in |path|
// and decodes those of unreserved characters. It returns false on a '%' not followed by two
// hex digits.
bool NormalizePercentEncoding(std::string_view path, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out->clear();
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (path[i] != '%') {
      out->push_back(path[i]);
      continue;
    }
    if (i + 2 >= path.size()) return false;
    int high = HexValue(path[i + 1]);
    int low = HexValue(path[i + 2]);
    if (high < 0 || low < 0) return false;
    unsigned char decoded = static_cast<unsigned char>(high * 16 + low);
    if (IsUnreserved(decoded)) {
      out->push_back(static_cast<char>(decoded));
    } else {
      out->push_back('%');
      out->push_back(kHex[high]);
      out->push_back(kHex[low]);
    }
    i += 2;
  }
  return true;
}

std::string Origin(const ParsedUrl& url) {
  std::string origin = url.scheme + "://" + url.host;
  if (!url.port.empty()) origin += ":" + url.port;
  return origin;
}

// AppendPath appends |path| to |*url|, or "/" when |path| is empty.
void AppendPath(std::string_view path, std::string* url) {
  if (path.empty()) {
    url->push_back('/');
  } else {
    url->append(path);
  }
}

}  // namespace

Result<std::string> NormalizeHtu(std::string_view url) {
  Result<ParsedUrl> parsed = ParseUrl(url);
  if (!parsed.ok()) return parsed.error();

  std::string htu = Origin(*parsed);
  AppendPath(RemoveDotSegments(parsed->path), &htu);
  return htu;
}

Result<std::string> CanonicalHtu(std::string_view url) {
  Result<ParsedUrl> parsed = ParseUrl(url);
  if (!parsed.ok()) return parsed.error();

  // Decoding comes first so that an encoded dot ("%2E") is removed like a literal one.
  std::string decoded;
  if (!NormalizePercentEncoding(parsed->path, &decoded)) {
    return InvalidUrl(url, "the path has a '%' not followed by two hex digits; encode '%' as %25");
  }
  std::string htu = Origin(*parsed);
  AppendPath(RemoveDotSegments(decoded), &htu);
  return htu;
}

std::string JoinUrl(std::string_view base, std::string_view path) {
  if (path.find("://") != std::string_view::npos) return std::string(path);
  if (path.empty()) return std::string(base);

  while (base.ends_with('/')) base.remove_suffix(1);
  while (path.starts_with('/')) path.remove_prefix(1);
  std::string joined(base);
  joined += '/';
  joined += path;
  return joined;
}

Result<std::string> UrlOrigin(std::string_view url) {
  Result<ParsedUrl> parsed = ParseUrl(url);
  if (!parsed.ok()) return parsed.error();
  return Origin(*parsed);
}

bool IsLoopbackUrl(std::string_view url) {
  Result<ParsedUrl> parsed = ParseUrl(url);
  if (!parsed.ok()) return false;
  const std::string& host = parsed->host;
  if (host == "localhost" || host == "[::1]") return true;

  // 127.0.0.0/8 in dotted-quad form: four decimal octets, the first 127.
  std::string_view rest = host;
  for (int octet = 0; octet < 4; ++octet) {
    unsigned value = 0;
    auto [end, error] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
    if (error != std::errc() || end == rest.data() || value > 255) return false;
    if (octet == 0 && value != 127) return false;
    rest.remove_prefix(static_cast<std::size_t>(end - rest.data()));
    if (octet < 3) {
      if (!rest.starts_with('.')) return false;
      rest.remove_prefix(1);
    }
  }
  return rest.empty();
}

}  // namespace dpopfleet
