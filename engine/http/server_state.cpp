#include "server_state.h"

#include <mutex>

namespace dpopfleet::http {

std::string ServerState::Nonce(const std::string& origin, NonceScope scope) const {
  std::shared_lock lock(mutex_);
  auto it = entries_.find(origin);
  if (it == entries_.end()) return {};
  return scope == NonceScope::kAuthorizationServer ? it->second.authorization_server_nonce
                                                   : it->second.resource_server_nonce;
}

void ServerState::StoreNonce(const std::string& origin, NonceScope scope,
                             const std::string& nonce) {
  std::unique_lock lock(mutex_);
  Entry& entry = entries_[origin];
  std::string& slot = scope == NonceScope::kAuthorizationServer ? entry.authorization_server_nonce
                                                                : entry.resource_server_nonce;
  if (slot != nonce) slot = nonce;
}

std::int64_t ServerState::ClockOffsetSeconds(const std::string& origin) const {
  std::shared_lock lock(mutex_);
  auto it = entries_.find(origin);
  return it == entries_.end() ? 0 : it->second.clock_offset_seconds;
}

void ServerState::StoreClockOffset(const std::string& origin, std::int64_t offset_seconds) {
  std::unique_lock lock(mutex_);
  std::int64_t& current = entries_[origin].clock_offset_seconds;

  // Date has one-second resolution, so estimates for an exact clock flip between 0 and -1.
  // Keeping the current value unless the new one differs by more than that stops iat from
  // jittering between requests.
  if (offset_seconds > current + 1 || offset_seconds < current - 1) current = offset_seconds;
}

}  // namespace dpopfleet::http
