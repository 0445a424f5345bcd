// Request helpers shared by every handler.

#include "http_types.h"

#include <algorithm>
#include <cctype>

#include "dpopfleet/json_writer.h"

namespace dpopfleet::realm {

const std::string* HttpExchange::Header(std::string_view lower_case_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_case_name) return &value;
  }
  return nullptr;
}

int HttpExchange::HeaderCount(std::string_view lower_case_name) const {
  int count = 0;
  for (const auto& header : headers) {
    if (header.first == lower_case_name) ++count;
  }
  return count;
}

std::string HttpExchange::QueryParam(const std::string& name) const {
  auto it = query.find(name);
  return it == query.end() ? std::string() : it->second;
}

HttpReply JsonReply(int status, std::string body) {
  HttpReply reply;
  reply.status = status;
  reply.body = std::move(body);
  reply.AddHeader("Cache-Control", "no-store");
  return reply;
}

HttpReply ErrorReply(int status, std::string_view error, std::string_view description,
                     std::string_view reason) {
  HttpReply reply = JsonReply(status, JsonObjectWriter()
                                          .String("error", error)
                                          .String("error_description", description)
                                          .Finish());
  reply.reason = std::string(reason.empty() ? error : reason);
  return reply;
}

namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string PercentDecode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '+' && plus_is_space) {
      out.push_back(' ');
      continue;
    }
    if (c == '%' && i + 2 < text.size()) {
      int high = HexValue(text[i + 1]);
      int low = HexValue(text[i + 2]);
      if (high >= 0 && low >= 0) {
        out.push_back(static_cast<char>(high * 16 + low));
        i += 2;
        continue;
      }
    }
    out.push_back(c);
  }
  return out;
}

std::map<std::string, std::string> FormDecode(std::string_view body,
                                              std::vector<std::string>* duplicate_names) {
  std::map<std::string, std::string> fields;
  std::size_t start = 0;
  while (start <= body.size()) {
    std::size_t end = body.find('&', start);
    if (end == std::string_view::npos) end = body.size();
    std::string_view pair = body.substr(start, end - start);
    if (!pair.empty()) {
      std::size_t equals = pair.find('=');
      std::string name = PercentDecode(pair.substr(0, equals), true);
      std::string value =
          equals == std::string_view::npos ? std::string() : PercentDecode(pair.substr(equals + 1), true);
      if (!fields.emplace(name, std::move(value)).second && duplicate_names != nullptr) {
        duplicate_names->push_back(name);
      }
    }
    start = end + 1;
  }
  return fields;
}

std::optional<HttpReply> CheckFormContentType(const HttpExchange& exchange) {
  constexpr std::string_view kForm = "application/x-www-form-urlencoded";
  const std::string* content_type = exchange.Header("content-type");
  std::string media_type;
  if (content_type != nullptr) {
    std::string_view value = *content_type;
    value = value.substr(0, value.find(';'));
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    for (char c : value) media_type.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  if (media_type == kForm) return std::nullopt;

  std::string received = content_type == nullptr ? "missing" : "\"" + *content_type + "\"";
  return ErrorReply(400, "invalid_request",
                    "the Content-Type is " + received + "; send the parameters as " +
                        std::string(kForm),
                    "bad_content_type");
}

std::vector<std::string_view> SplitSpaces(std::string_view text) {
  std::vector<std::string_view> words;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = std::min(text.find(' ', start), text.size());
    if (end > start) words.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return words;
}

bool ContainsWord(std::string_view list, std::string_view word) {
  for (std::string_view candidate : SplitSpaces(list)) {
    if (candidate == word) return true;
  }
  return false;
}

bool HasAuthScheme(std::string_view authorization, std::string_view scheme) {
  if (authorization.size() <= scheme.size() || authorization[scheme.size()] != ' ') return false;
  for (std::size_t i = 0; i < scheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(authorization[i])) !=
        std::tolower(static_cast<unsigned char>(scheme[i]))) {
      return false;
    }
  }
  return true;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  volatile unsigned char difference = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    difference = difference | static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return difference == 0;
}

std::string EscapeForLog(std::string_view text) {
  constexpr std::size_t kMaxLoggedBytes = 200;
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(std::min(text.size(), kMaxLoggedBytes) + 8);
  for (char c : text.substr(0, kMaxLoggedBytes)) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && c != '\\') {
      out.push_back(c);
      continue;
    }
    out += "\\x";
    out.push_back(kHex[byte >> 4]);
    out.push_back(kHex[byte & 0xf]);
  }
  if (text.size() > kMaxLoggedBytes) out += "\xE2\x80\xA6";
  return out;
}

std::string ShortenToken(std::string_view token) {
  return std::string(token.substr(0, 8)) + "\xE2\x80\xA6";
}

}  // namespace dpopfleet::realm
