// JSON output helpers. Parsing uses simdjson; writing is small enough to do by hand, which
// keeps the proof hot path free of allocations.

#ifndef DPOPFLEET_JSON_WRITER_H_
#define DPOPFLEET_JSON_WRITER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace dpopfleet {

// AppendJsonString appends |value| to |*out| as a quoted JSON string (RFC 8259 section 7):
// '"', '\\' and control characters are escaped, "\u2028" and "\u2029" too, and other bytes
// are copied as they are. Invalid UTF-8 is copied unchanged; callers that take text from
// outside validate it first.
void AppendJsonString(std::string_view value, std::string* out);

// JsonStringSize returns the number of bytes AppendJsonString appends for |value|, quotes
// included.
std::size_t JsonStringSize(std::string_view value);

// JsonString returns |value| as a quoted JSON string.
std::string JsonString(std::string_view value);

// JsonObjectWriter builds one JSON object member by member, for responses and records that
// are not on a hot path. Members appear in the order they are added.
class JsonObjectWriter {
 public:
  JsonObjectWriter& String(std::string_view name, std::string_view value);
  JsonObjectWriter& Int(std::string_view name, std::int64_t value);
  JsonObjectWriter& Double(std::string_view name, double value);
  JsonObjectWriter& Bool(std::string_view name, bool value);
  JsonObjectWriter& Null(std::string_view name);

  // Raw adds a member whose value is |json|, copied verbatim; |json| must be valid JSON.
  JsonObjectWriter& Raw(std::string_view name, std::string_view json);

  // Finish closes the object and returns it. The writer is empty afterwards.
  std::string Finish();

 private:
  void AppendName(std::string_view name);

  std::string text_ = "{";
};

}  // namespace dpopfleet

#endif  // DPOPFLEET_JSON_WRITER_H_
