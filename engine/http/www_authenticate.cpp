#include "dpopfleet/www_authenticate.h"

#include <cctype>

namespace dpopfleet {
namespace {

// tchar from RFC 9110 section 5.6.2.
bool IsTokenChar(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

// token68 characters other than the trailing '=' padding (RFC 9110 section 11.2).
bool IsToken68Char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
         c == '~' || c == '+' || c == '/';
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Cursor walks one field value. Each Read* method consumes what it returns and leaves the
// position unchanged when it fails.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}

  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }
  std::size_t pos() const { return pos_; }
  void Seek(std::size_t pos) { pos_ = pos; }
  void Advance() { ++pos_; }

  // SkipWhitespace skips OWS/BWS (spaces and horizontal tabs).
  void SkipWhitespace() {
    while (!AtEnd() && (text_[pos_] == ' ' || text_[pos_] == '\t')) ++pos_;
  }

  // SkipSeparators skips whitespace and empty list elements (",  ,").
  void SkipSeparators() {
    while (!AtEnd() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == ',')) ++pos_;
  }

  std::string_view ReadToken() {
    std::size_t start = pos_;
    while (!AtEnd() && IsTokenChar(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }

  // ReadQuotedString reads a quoted-string into |*out| unescaped and returns true, or
  // returns false if the closing quote is missing.
  bool ReadQuotedString(std::string* out) {
    std::size_t start = pos_;
    if (Peek() != '"') return false;
    ++pos_;
    out->clear();
    while (!AtEnd()) {
      char c = text_[pos_++];
      if (c == '"') return true;
      if (c == '\\') {
        if (AtEnd()) break;
        c = text_[pos_++];
      }
      out->push_back(c);
    }
    pos_ = start;
    return false;
  }

  // ReadToken68 reads a token68 that ends the challenge (followed by ',' or the end).
  bool ReadToken68(std::string* out) {
    std::size_t start = pos_;
    while (!AtEnd() && IsToken68Char(text_[pos_])) ++pos_;
    if (pos_ == start) return false;
    while (!AtEnd() && text_[pos_] == '=') ++pos_;

    std::size_t end = pos_;
    SkipWhitespace();
    if (!AtEnd() && Peek() != ',') {
      pos_ = start;
      return false;
    }
    out->assign(text_.substr(start, end - start));
    return true;
  }

  // AtAuthParam returns true if an auth-param ("name=value", not a token68 ending in '=')
  // starts at the current position.
  bool AtAuthParam() {
    std::size_t start = pos_;
    bool is_param = !ReadToken().empty();
    if (is_param) {
      SkipWhitespace();
      is_param = Peek() == '=';
      if (is_param) {
        Advance();
        SkipWhitespace();
        is_param = !AtEnd() && Peek() != '=' && Peek() != ',';
      }
    }
    pos_ = start;
    return is_param;
  }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
};

Error GrammarError(std::string_view value, std::size_t offset, std::string_view expected) {
  return Error(ErrorCode::kProtocolError,
               "WWW-Authenticate value '" + std::string(value) + "' is invalid at offset " +
                   std::to_string(offset) + ": expected " + std::string(expected) +
                   " (RFC 9110 section 11.6.1); the server must send well-formed challenges");
}

// ReadAuthParams reads comma-separated auth-params into |*challenge| until the list ends
// or the next element starts a new challenge.
Result<bool> ReadAuthParams(std::string_view value, Cursor& cursor, AuthChallenge* challenge) {
  while (cursor.AtAuthParam()) {
    std::string name = Lower(cursor.ReadToken());
    cursor.SkipWhitespace();
    cursor.Advance();  // '='
    cursor.SkipWhitespace();

    std::string param_value;
    if (cursor.Peek() == '"') {
      if (!cursor.ReadQuotedString(&param_value)) {
        return GrammarError(value, cursor.pos(), "a closing '\"'");
      }
    } else {
      param_value = std::string(cursor.ReadToken());
      if (param_value.empty()) return GrammarError(value, cursor.pos(), "a token or quoted-string");
    }
    challenge->params.emplace_back(std::move(name), std::move(param_value));

    cursor.SkipWhitespace();
    if (cursor.AtEnd()) break;
    if (cursor.Peek() != ',') return GrammarError(value, cursor.pos(), "',' between auth-params");
    cursor.SkipSeparators();
  }
  return true;
}

}  // namespace

const std::string* AuthChallenge::Param(std::string_view lower_case_name) const {
  for (const auto& [name, param_value] : params) {
    if (name == lower_case_name) return &param_value;
  }
  return nullptr;
}

Result<std::vector<AuthChallenge>> ParseWwwAuthenticate(std::string_view value) {
  std::vector<AuthChallenge> challenges;
  Cursor cursor(value);

  cursor.SkipSeparators();
  while (!cursor.AtEnd()) {
    AuthChallenge challenge;
    challenge.scheme = std::string(cursor.ReadToken());
    if (challenge.scheme.empty()) return GrammarError(value, cursor.pos(), "an auth-scheme");

    // A scheme followed by ',' or the end has no parameters.
    std::size_t after_scheme = cursor.pos();
    cursor.SkipWhitespace();
    if (!cursor.AtEnd() && cursor.Peek() != ',') {
      if (cursor.pos() == after_scheme) {
        return GrammarError(value, cursor.pos(), "a space after the auth-scheme");
      }
      if (cursor.AtAuthParam()) {
        Result<bool> params = ReadAuthParams(value, cursor, &challenge);
        if (!params.ok()) return params.error();
      } else if (!cursor.ReadToken68(&challenge.token68)) {
        return GrammarError(value, cursor.pos(), "a token68 or auth-params");
      }
    }

    challenges.push_back(std::move(challenge));
    cursor.SkipSeparators();
  }
  return challenges;
}

bool IsDpopNonceChallenge(std::string_view value) {
  Result<std::vector<AuthChallenge>> challenges = ParseWwwAuthenticate(value);
  if (!challenges.ok()) return false;

  for (const AuthChallenge& challenge : *challenges) {
    if (Lower(challenge.scheme) != "dpop") continue;
    const std::string* error = challenge.Param("error");
    if (error != nullptr && *error == "use_dpop_nonce") return true;
  }
  return false;
}

}  // namespace dpopfleet
