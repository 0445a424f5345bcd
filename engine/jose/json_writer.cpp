// Hand-written JSON output: string escaping and a small object writer.

#include "dpopfleet/json_writer.h"

#include <cmath>
#include <cstdio>

namespace dpopfleet {
namespace {

// IsLineSeparator returns true if U+2028 or U+2029 (E2 80 A8 / E2 80 A9) starts at |i|.
// Both are valid in JSON strings but end lines in JavaScript, so they are escaped.
bool IsLineSeparator(std::string_view value, std::size_t i) {
  return static_cast<unsigned char>(value[i]) == 0xe2 && i + 2 < value.size() &&
         static_cast<unsigned char>(value[i + 1]) == 0x80 &&
         (static_cast<unsigned char>(value[i + 2]) & 0xfe) == 0xa8;
}

}  // namespace

void AppendJsonString(std::string_view value, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  std::size_t run_start = 0;
  for (std::size_t i = 0; i < value.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(value[i]);
    bool plain = c >= 0x20 && c != '"' && c != '\\' && c != 0xe2;
    if (plain) continue;

    // Copy the run of characters that need no escaping in one call, which keeps typical
    // URLs and tokens at a few instructions per byte.
    out->append(value.data() + run_start, i - run_start);
    run_start = i + 1;
    switch (c) {
      case '"': out->append("\\\""); continue;
      case '\\': out->append("\\\\"); continue;
      case '\b': out->append("\\b"); continue;
      case '\f': out->append("\\f"); continue;
      case '\n': out->append("\\n"); continue;
      case '\r': out->append("\\r"); continue;
      case '\t': out->append("\\t"); continue;
      default: break;
    }
    if (c < 0x20) {
      char escaped[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
      out->append(escaped, sizeof(escaped));
      continue;
    }
    if (IsLineSeparator(value, i)) {
      out->append(static_cast<unsigned char>(value[i + 2]) == 0xa8 ? "\\u2028" : "\\u2029");
      i += 2;
      run_start = i + 1;
      continue;
    }
    out->push_back(static_cast<char>(c));  // 0xe2 that starts another character
  }
  out->append(value.data() + run_start, value.size() - run_start);
  out->push_back('"');
}

std::size_t JsonStringSize(std::string_view value) {
  std::size_t size = 2;
  for (std::size_t i = 0; i < value.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(value[i]);
    if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t') {
      size += 2;
    } else if (c < 0x20) {
      size += 6;
    } else if (IsLineSeparator(value, i)) {
      size += 6;
      i += 2;
    } else {
      size += 1;
    }
  }
  return size;
}

std::string JsonString(std::string_view value) {
  std::string out;
  AppendJsonString(value, &out);
  return out;
}

void JsonObjectWriter::AppendName(std::string_view name) {
  if (text_.size() > 1) text_.push_back(',');
  AppendJsonString(name, &text_);
  text_.push_back(':');
}

JsonObjectWriter& JsonObjectWriter::String(std::string_view name, std::string_view value) {
  AppendName(name);
  AppendJsonString(value, &text_);
  return *this;
}

JsonObjectWriter& JsonObjectWriter::Int(std::string_view name, std::int64_t value) {
  AppendName(name);
  text_ += std::to_string(value);
  return *this;
}

JsonObjectWriter& JsonObjectWriter::Double(std::string_view name, double value) {
  AppendName(name);
  // JSON has no NaN or infinity; null is the usual stand-in.
  if (!std::isfinite(value)) {
    text_ += "null";
    return *this;
  }
  char buffer[32];
  int length = std::snprintf(buffer, sizeof(buffer), "%.17g", value);
  text_.append(buffer, static_cast<std::size_t>(length));
  return *this;
}

JsonObjectWriter& JsonObjectWriter::Bool(std::string_view name, bool value) {
  AppendName(name);
  text_ += value ? "true" : "false";
  return *this;
}

JsonObjectWriter& JsonObjectWriter::Null(std::string_view name) {
  AppendName(name);
  text_ += "null";
  return *this;
}

JsonObjectWriter& JsonObjectWriter::Raw(std::string_view name, std::string_view json) {
  AppendName(name);
  text_ += json;
  return *this;
}

std::string JsonObjectWriter::Finish() {
  text_.push_back('}');
  std::string result = std::move(text_);
  text_.assign(1, '{');
  return result;
}

}  // namespace dpopfleet
