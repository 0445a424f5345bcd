// Tests of the base64url codec: RFC 4648 vectors, round trips and strict decoding.

#include <gtest/gtest.h>

#include "dpopfleet/base64url.h"

namespace dpopfleet {
namespace {

TEST(Base64Url, Rfc4648Vectors) {
  // RFC 4648 section 10, without the '=' padding that base64url in JOSE omits.
  const std::pair<const char*, const char*> kVectors[] = {
      {"", ""},         {"f", "Zg"},         {"fo", "Zm8"},          {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : kVectors) {
    EXPECT_EQ(Base64UrlEncode(std::string_view(plain)), encoded) << plain;
    std::string decoded;
    ASSERT_EQ(Base64UrlDecode(encoded, &decoded), ErrorCode::kOk) << encoded;
    EXPECT_EQ(decoded, plain);
    EXPECT_EQ(Base64UrlEncodedSize(std::string_view(plain).size()), std::string_view(encoded).size());
  }
}

TEST(Base64Url, UsesUrlSafeAlphabet) {
  std::vector<std::uint8_t> bytes = {0xfb, 0xff, 0xbf};
  EXPECT_EQ(Base64UrlEncode(bytes), "-_-_");
  std::vector<std::uint8_t> decoded;
  ASSERT_EQ(Base64UrlDecode("-_-_", &decoded), ErrorCode::kOk);
  EXPECT_EQ(decoded, bytes);
}

TEST(Base64Url, RoundTripsAllLengths) {
  std::vector<std::uint8_t> data;
  for (int length = 0; length < 300; ++length) {
    std::string encoded = Base64UrlEncode(data);
    EXPECT_EQ(encoded.size(), Base64UrlEncodedSize(data.size()));
    std::vector<std::uint8_t> decoded;
    ASSERT_EQ(Base64UrlDecode(encoded, &decoded), ErrorCode::kOk) << length;
    EXPECT_EQ(decoded, data);
    data.push_back(static_cast<std::uint8_t>(length * 37 + 11));
  }
}

TEST(Base64Url, EncodeIntoBufferAndAppend) {
  std::vector<std::uint8_t> data = {'f', 'o', 'o', 'b'};
  char buffer[8];
  EXPECT_EQ(Base64UrlEncode(data, buffer), 6u);
  EXPECT_EQ(std::string_view(buffer, 6), "Zm9vYg");

  std::string out = "prefix.";
  Base64UrlAppend(std::string_view("foo"), &out);
  EXPECT_EQ(out, "prefix.Zm9v");
}

TEST(Base64Url, DecoderIsStrict) {
  const char* kInvalid[] = {
      "Zg==",      // padding
      "Zg=",       // padding
      "Zm9v+g",    // '+' belongs to standard base64
      "Zm9v/g",    // '/' too
      "Zm9 v",     // space
      "Z",         // one dangling character
      "Zm9vY",     // five characters leave one dangling
      "Zh",        // non-zero bits after the last byte ("Zg" is canonical)
      "Zm-",       // non-zero bits after the last byte ("Zm8" is canonical)
  };
  for (const char* text : kInvalid) {
    std::string decoded;
    EXPECT_EQ(Base64UrlDecode(text, &decoded), ErrorCode::kInvalidBase64Url) << text;
  }
  std::string decoded;
  EXPECT_EQ(Base64UrlDecode(std::string_view("Zm\0v", 4), &decoded), ErrorCode::kInvalidBase64Url);
}

}  // namespace
}  // namespace dpopfleet
