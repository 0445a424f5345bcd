// Tests of the DER <-> raw R||S conversion used by the OpenSSL backend.

#include <gtest/gtest.h>

#include <vector>

#include "der_signature.h"

namespace dpopfleet::internal {
namespace {

TEST(DerSignature, ShortValuesArePadded) {
  // SEQUENCE { INTEGER 0x01, INTEGER 0x00ff } : r = 1, s = 255 (s needs a zero byte).
  std::vector<std::uint8_t> der = {0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x02, 0x00, 0xff};
  Es256Signature raw;
  ASSERT_TRUE(DerToRawSignature(der, &raw));
  for (int i = 0; i < 31; ++i) EXPECT_EQ(raw[i], 0) << i;
  EXPECT_EQ(raw[31], 1);
  for (int i = 32; i < 63; ++i) EXPECT_EQ(raw[i], 0) << i;
  EXPECT_EQ(raw[63], 0xff);

  std::array<std::uint8_t, kMaxDerSignatureSize> back;
  std::size_t size = RawToDerSignature(raw, &back);
  EXPECT_EQ(std::vector<std::uint8_t>(back.begin(), back.begin() + size), der);
}

TEST(DerSignature, FullWidthRoundTrip) {
  Es256Signature raw;
  for (std::size_t i = 0; i < raw.size(); ++i) raw[i] = static_cast<std::uint8_t>(0x80 + i);
  std::array<std::uint8_t, kMaxDerSignatureSize> der;
  std::size_t size = RawToDerSignature(raw, &der);
  EXPECT_EQ(size, 72u);  // both halves need a leading zero byte

  Es256Signature back;
  ASSERT_TRUE(DerToRawSignature(std::span(der.data(), size), &back));
  EXPECT_EQ(back, raw);
}

TEST(DerSignature, RejectsMalformedEncodings) {
  Es256Signature raw;
  std::vector<std::vector<std::uint8_t>> bad = {
      {},
      {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01},               // truncated
      {0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01},         // not a SEQUENCE
      {0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01},         // negative r
      {0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01},   // non-minimal r
      {0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x00},   // trailing byte
      {0x30, 0x06, 0x02, 0x01, 0x01, 0x03, 0x01, 0x01},         // s not an INTEGER
  };
  for (const auto& der : bad) {
    EXPECT_FALSE(DerToRawSignature(der, &raw)) << "size " << der.size();
  }

  std::vector<std::uint8_t> too_long = {0x30, 0x26, 0x02, 0x21};
  too_long.insert(too_long.end(), 33, 0x01);  // 33 significant bytes exceed P-256
  too_long.insert(too_long.end(), {0x02, 0x01, 0x01});
  EXPECT_FALSE(DerToRawSignature(too_long, &raw));
}

}  // namespace
}  // namespace dpopfleet::internal
