// Tests of JSON string escaping and the object writer.

#include <gtest/gtest.h>

#include "dpopfleet/json_writer.h"

namespace dpopfleet {
namespace {

TEST(JsonString, EscapesSpecialCharacters) {
  EXPECT_EQ(JsonString("plain"), "\"plain\"");
  EXPECT_EQ(JsonString("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(JsonString("\n\r\t\b\f"), R"("\n\r\t\b\f")");
  EXPECT_EQ(JsonString(std::string_view("\x01\x1f\0", 3)), R"("\u0001\u001f\u0000")");
  EXPECT_EQ(JsonString("line\xe2\x80\xa8sep\xe2\x80\xa9"), R"("line\u2028sep\u2029")");
  EXPECT_EQ(JsonString("caf\xc3\xa9 /"), "\"caf\xc3\xa9 /\"");
  EXPECT_EQ(JsonString("\xe2\x82\xac 5, \xe2\x80\xaa"), "\"\xe2\x82\xac 5, \xe2\x80\xaa\"");
  EXPECT_EQ(JsonString("ab\"\"cd\\"), R"("ab\"\"cd\\")");
}

TEST(JsonStringSize, MatchesAppendedLength) {
  const std::string_view kValues[] = {
      "", "plain", "a\"b\\c", "\n\r\t\b\f", std::string_view("\x01\x1f\0", 3),
      "line\xe2\x80\xa8sep\xe2\x80\xa9", "caf\xc3\xa9", "\xe2\x80", "\xe2\x80\xaa",
  };
  for (std::string_view value : kValues) {
    EXPECT_EQ(JsonStringSize(value), JsonString(value).size()) << JsonString(value);
  }
}

TEST(JsonObjectWriter, WritesMembersInOrder) {
  JsonObjectWriter writer;
  writer.String("s", "v\"").Int("i", -42).Double("d", 1.5).Bool("b", true).Null("n").Raw("r", "[1]");
  EXPECT_EQ(writer.Finish(), R"({"s":"v\"","i":-42,"d":1.5,"b":true,"n":null,"r":[1]})");
  EXPECT_EQ(writer.Finish(), "{}");
}

}  // namespace
}  // namespace dpopfleet
