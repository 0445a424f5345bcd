// Per-server state the transport learns from responses: the latest DPoP nonce for each
// (origin, NonceScope) and the estimated clock offset for each origin.

#ifndef DPOPFLEET_ENGINE_HTTP_SERVER_STATE_H_
#define DPOPFLEET_ENGINE_HTTP_SERVER_STATE_H_

#include <cstdint>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "dpopfleet/transport.h"

namespace dpopfleet::http {

// ServerState is safe to use from many threads. Reads take a shared lock, so lookups from
// CachedNonce and ClockOffsetSeconds callers do not stall each other or the loop for long.
class ServerState {
 public:
  // Nonce returns the latest nonce stored for |origin| and |scope|, or empty.
  std::string Nonce(const std::string& origin, NonceScope scope) const;

  // StoreNonce replaces the nonce for |origin| and |scope|.
  void StoreNonce(const std::string& origin, NonceScope scope, const std::string& nonce);

  // ClockOffsetSeconds returns the latest server-minus-local estimate for |origin|, or 0.
  std::int64_t ClockOffsetSeconds(const std::string& origin) const;

  // StoreClockOffset records a new estimate for |origin|. Estimates within one second of the
  // stored one are ignored, because Date headers only resolve whole seconds.
  void StoreClockOffset(const std::string& origin, std::int64_t offset_seconds);

 private:
  struct Entry {
    std::string authorization_server_nonce;
    std::string resource_server_nonce;
    std::int64_t clock_offset_seconds = 0;
  };

  mutable std::shared_mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace dpopfleet::http

#endif  // DPOPFLEET_ENGINE_HTTP_SERVER_STATE_H_
