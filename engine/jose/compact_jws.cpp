// Compact JWS splitting shared by proof verification and JWT decoding.

#include "compact_jws.h"

namespace dpopfleet::internal {

bool SplitCompactJws(std::string_view token, CompactJwsParts* parts) {
  std::size_t first = token.find('.');
  if (first == std::string_view::npos) return false;
  std::size_t second = token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return false;
  }
  parts->header_b64 = token.substr(0, first);
  parts->payload_b64 = token.substr(first + 1, second - first - 1);
  parts->signature_b64 = token.substr(second + 1);
  parts->signing_input = token.substr(0, second);
  return !parts->header_b64.empty() && !parts->payload_b64.empty() &&
         !parts->signature_b64.empty();
}

}  // namespace dpopfleet::internal
