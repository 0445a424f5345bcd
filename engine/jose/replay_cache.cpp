// ReplayCache: remembered (thumbprint, jti) pairs with expiry.

#include "dpopfleet/dpop_verify.h"

namespace dpopfleet {

ErrorCode ReplayCache::CheckAndInsert(std::string_view thumbprint, std::string_view jti,
                                      std::int64_t now_unix_seconds) {
  // The thumbprint is fixed-length base64url, so '.' cannot occur in it and the joined key
  // is unambiguous.
  std::string key;
  key.reserve(thumbprint.size() + 1 + jti.size());
  key.append(thumbprint);
  key.push_back('.');
  key.append(jti);

  std::lock_guard lock(mutex_);
  if (now_unix_seconds >= next_sweep_) SweepLocked(now_unix_seconds);

  auto [entry, inserted] = expiry_by_key_.try_emplace(std::move(key), 0);
  if (!inserted && entry->second > now_unix_seconds) return ErrorCode::kProofReplayed;
  entry->second = now_unix_seconds + lifetime_seconds_;
  return ErrorCode::kOk;
}

std::size_t ReplayCache::size() const {
  std::lock_guard lock(mutex_);
  return expiry_by_key_.size();
}

void ReplayCache::SweepLocked(std::int64_t now_unix_seconds) {
  std::erase_if(expiry_by_key_, [now_unix_seconds](const auto& entry) {
    return entry.second <= now_unix_seconds;
  });
  // Sweeping at most twice per lifetime bounds the cache to about 1.5 lifetimes of proofs
  // while keeping the cost amortised over many insertions.
  next_sweep_ = now_unix_seconds + std::max<std::int64_t>(1, lifetime_seconds_ / 2);
}

}  // namespace dpopfleet
