// base64url without padding (RFC 4648 section 5, RFC 7515 section 2).
//
// The decoder is strict: it rejects '=', characters outside the URL-safe alphabet, a length
// that leaves one dangling character, and non-zero bits after the last full byte. A strict
// decoder keeps two different strings from decoding to the same bytes.

#ifndef DPOPFLEET_BASE64URL_H_
#define DPOPFLEET_BASE64URL_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dpopfleet/status.h"

namespace dpopfleet {

// Base64UrlEncodedSize returns the number of characters Base64UrlEncode writes for |size|
// input bytes.
constexpr std::size_t Base64UrlEncodedSize(std::size_t size) {
  return size / 3 * 4 + (size % 3 == 0 ? 0 : size % 3 + 1);
}

// Base64UrlEncode writes the encoding of |data| to |out|, which must have room for
// Base64UrlEncodedSize(data.size()) characters, and returns the number written. It does
// not allocate.
std::size_t Base64UrlEncode(std::span<const std::uint8_t> data, char* out);

// Base64UrlAppend appends the encoding of |data| to |*out|.
void Base64UrlAppend(std::span<const std::uint8_t> data, std::string* out);
void Base64UrlAppend(std::string_view data, std::string* out);

// Base64UrlEncode returns the encoding of |data| as a new string.
std::string Base64UrlEncode(std::span<const std::uint8_t> data);
std::string Base64UrlEncode(std::string_view data);

// Base64UrlDecode decodes |text| into |*out|, replacing its contents. It returns kOk or
// kInvalidBase64Url; on failure |*out| is unspecified.
ErrorCode Base64UrlDecode(std::string_view text, std::vector<std::uint8_t>* out);
ErrorCode Base64UrlDecode(std::string_view text, std::string* out);

}  // namespace dpopfleet

#endif  // DPOPFLEET_BASE64URL_H_
