// Splitting a compact JWS (RFC 7515 section 7.1) into its three parts.

#ifndef DPOPFLEET_ENGINE_JOSE_COMPACT_JWS_H_
#define DPOPFLEET_ENGINE_JOSE_COMPACT_JWS_H_

#include <string_view>

namespace dpopfleet::internal {

// CompactJwsParts are views into the token they were split from.
struct CompactJwsParts {
  std::string_view header_b64;
  std::string_view payload_b64;
  std::string_view signature_b64;

  // signing_input is header_b64 "." payload_b64, the bytes the signature covers.
  std::string_view signing_input;
};

// SplitCompactJws returns false unless |token| has exactly two dots and three non-empty
// parts.
bool SplitCompactJws(std::string_view token, CompactJwsParts* parts);

}  // namespace dpopfleet::internal

#endif  // DPOPFLEET_ENGINE_JOSE_COMPACT_JWS_H_
