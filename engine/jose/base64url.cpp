// base64url without padding, with a strict decoder.

#include "dpopfleet/base64url.h"

#include <array>

namespace dpopfleet {
namespace {

constexpr char kAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// kInvalid marks bytes outside the alphabet, '=' included, in the decoding table.
constexpr std::uint8_t kInvalid = 0xff;

constexpr std::array<std::uint8_t, 256> MakeDecodeTable() {
  std::array<std::uint8_t, 256> table{};
  for (auto& entry : table) entry = kInvalid;
  for (std::uint8_t i = 0; i < 64; ++i) table[static_cast<unsigned char>(kAlphabet[i])] = i;
  return table;
}

constexpr std::array<std::uint8_t, 256> kDecodeTable = MakeDecodeTable();

// DecodeInto decodes |text| through |emit|, which receives each byte. It returns false on
// any character outside the alphabet, a dangling single character, or non-zero bits
// after the last full byte.
template <typename Emit>
bool DecodeInto(std::string_view text, Emit emit) {
  if (text.size() % 4 == 1) return false;

  std::size_t full = text.size() / 4 * 4;
  for (std::size_t i = 0; i < full; i += 4) {
    std::uint8_t a = kDecodeTable[static_cast<unsigned char>(text[i])];
    std::uint8_t b = kDecodeTable[static_cast<unsigned char>(text[i + 1])];
    std::uint8_t c = kDecodeTable[static_cast<unsigned char>(text[i + 2])];
    std::uint8_t d = kDecodeTable[static_cast<unsigned char>(text[i + 3])];
    if (a == kInvalid || b == kInvalid || c == kInvalid ||
        d == kInvalid) {
      return false;
    }
    std::uint32_t bits = (a << 18) | (b << 12) | (c << 6) | d;
    emit(static_cast<std::uint8_t>(bits >> 16));
    emit(static_cast<std::uint8_t>(bits >> 8));
    emit(static_cast<std::uint8_t>(bits));
  }

  std::size_t rest = text.size() - full;
  if (rest == 0) return true;
  std::uint8_t a = kDecodeTable[static_cast<unsigned char>(text[full])];
  std::uint8_t b = kDecodeTable[static_cast<unsigned char>(text[full + 1])];
  std::uint8_t c = rest == 3 ? kDecodeTable[static_cast<unsigned char>(text[full + 2])] : 0;
  if (a == kInvalid || b == kInvalid || c == kInvalid) return false;
  std::uint32_t bits = (a << 18) | (b << 12) | (c << 6);
  if (rest == 2) {
    if (bits & 0xffff) return false;  // the low 4 bits of the second character must be 0
    emit(static_cast<std::uint8_t>(bits >> 16));
  } else {
    if (bits & 0xff) return false;  // the low 2 bits of the third character must be 0
    emit(static_cast<std::uint8_t>(bits >> 16));
    emit(static_cast<std::uint8_t>(bits >> 8));
  }
  return true;
}

}  // namespace

std::size_t Base64UrlEncode(std::span<const std::uint8_t> data, char* out) {
  const std::uint8_t* in = data.data();
  std::size_t size = data.size();
  char* start = out;

  std::size_t i = 0;
  for (; i + 3 <= size; i += 3) {
    std::uint32_t bits = (in[i] << 16) | (in[i + 1] << 8) | in[i + 2];
    out[0] = kAlphabet[bits >> 18];
    out[1] = kAlphabet[(bits >> 12) & 63];
    out[2] = kAlphabet[(bits >> 6) & 63];
    out[3] = kAlphabet[bits & 63];
    out += 4;
  }

  if (size - i == 1) {
    std::uint32_t bits = in[i] << 16;
    out[0] = kAlphabet[bits >> 18];
    out[1] = kAlphabet[(bits >> 12) & 63];
    out += 2;
  } else if (size - i == 2) {
    std::uint32_t bits = (in[i] << 16) | (in[i + 1] << 8);
    out[0] = kAlphabet[bits >> 18];
    out[1] = kAlphabet[(bits >> 12) & 63];
    out[2] = kAlphabet[(bits >> 6) & 63];
    out += 3;
  }
  return static_cast<std::size_t>(out - start);
}

void Base64UrlAppend(std::span<const std::uint8_t> data, std::string* out) {
  std::size_t old_size = out->size();
  out->resize(old_size + Base64UrlEncodedSize(data.size()));
  Base64UrlEncode(data, out->data() + old_size);
}

void Base64UrlAppend(std::string_view data, std::string* out) {
  Base64UrlAppend(std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()), out);
}

std::string Base64UrlEncode(std::span<const std::uint8_t> data) {
  std::string out;
  Base64UrlAppend(data, &out);
  return out;
}

std::string Base64UrlEncode(std::string_view data) {
  std::string out;
  Base64UrlAppend(data, &out);
  return out;
}

ErrorCode Base64UrlDecode(std::string_view text, std::vector<std::uint8_t>* out) {
  out->clear();
  out->reserve(text.size() / 4 * 3 + 2);
  bool ok = DecodeInto(text, [out](std::uint8_t byte) { out->push_back(byte); });
  return ok ? ErrorCode::kOk : ErrorCode::kInvalidBase64Url;
}

ErrorCode Base64UrlDecode(std::string_view text, std::string* out) {
  out->clear();
  out->reserve(text.size() / 4 * 3 + 2);
  bool ok = DecodeInto(text, [out](std::uint8_t byte) { out->push_back(static_cast<char>(byte)); });
  return ok ? ErrorCode::kOk : ErrorCode::kInvalidBase64Url;
}

}  // namespace dpopfleet
