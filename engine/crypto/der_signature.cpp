// DER <-> raw ECDSA signature conversion for P-256.

#include "der_signature.h"

#include <cstring>

namespace dpopfleet::internal {
namespace {

// ParseInteger reads one DER INTEGER at |*pos| and copies its value, left-padded, into the
// 32-byte |half|. It accepts only positive, minimally encoded values of at most 32 bytes.
bool ParseInteger(std::span<const std::uint8_t> der, std::size_t* pos, std::uint8_t* half) {
  if (*pos + 2 > der.size() || der[*pos] != 0x02) return false;
  std::size_t length = der[*pos + 1];
  *pos += 2;
  if (length == 0 || length > kP256ScalarSize + 1 || *pos + length > der.size()) return false;

  const std::uint8_t* value = der.data() + *pos;
  *pos += length;
  if (value[0] & 0x80) return false;  // negative
  if (value[0] == 0x00) {
    if (length == 1 || !(value[1] & 0x80)) return false;  // zero or non-minimal padding
    ++value;
    --length;
  }
  if (length > kP256ScalarSize) return false;

  std::memset(half, 0, kP256ScalarSize - length);
  std::memcpy(half + (kP256ScalarSize - length), value, length);
  return true;
}

// AppendInteger writes the 32-byte big-endian |half| as a minimal DER INTEGER at |out|
// and returns the number of bytes written.
std::size_t AppendInteger(const std::uint8_t* half, std::uint8_t* out) {
  std::size_t skip = 0;
  while (skip < kP256ScalarSize - 1 && half[skip] == 0) ++skip;
  std::size_t length = kP256ScalarSize - skip;
  bool needs_zero = (half[skip] & 0x80) != 0;

  std::size_t pos = 0;
  out[pos++] = 0x02;
  out[pos++] = static_cast<std::uint8_t>(length + (needs_zero ? 1 : 0));
  if (needs_zero) out[pos++] = 0x00;
  std::memcpy(out + pos, half + skip, length);
  return pos + length;
}

}  // namespace

bool DerToRawSignature(std::span<const std::uint8_t> der, Es256Signature* out) {
  // P-256 signatures are at most 72 bytes, so the SEQUENCE length always fits one byte.
  if (der.size() < 8 || der[0] != 0x30 || der[1] != der.size() - 2) return false;

  std::size_t pos = 2;
  if (!ParseInteger(der, &pos, out->data())) return false;
  if (!ParseInteger(der, &pos, out->data() + kP256ScalarSize)) return false;
  return pos == der.size();
}

std::size_t RawToDerSignature(std::span<const std::uint8_t, kEs256SignatureSize> raw,
                              std::array<std::uint8_t, kMaxDerSignatureSize>* out) {
  std::uint8_t* bytes = out->data();
  std::size_t pos = 2;
  pos += AppendInteger(raw.data(), bytes + pos);
  pos += AppendInteger(raw.data() + kP256ScalarSize, bytes + pos);
  bytes[0] = 0x30;
  bytes[1] = static_cast<std::uint8_t>(pos - 2);
  return pos;
}

}  // namespace dpopfleet::internal
