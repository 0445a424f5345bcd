// ReplayCache: remembered (thumbprint, jti) pairs with expiry and a size cap.

#include <algorithm>
#include <cstring>

#include "dpopfleet/crypto.h"
#include "dpopfleet/dpop_verify.h"

namespace dpopfleet {

std::size_t ReplayCache::KeyHash::operator()(const Key& key) const {
  // The key is already a uniform SHA-256 prefix, so any eight of its bytes are a good hash.
  std::size_t hash;
  std::memcpy(&hash, key.data(), sizeof(hash));
  return hash;
}

ErrorCode ReplayCache::CheckAndInsert(std::string_view thumbprint, std::string_view jti,
                                      std::int64_t now_unix_seconds) {
  // The thumbprint is fixed-length base64url, so '.' cannot occur in it and the joined
  // input is unambiguous. A 128-bit prefix makes an accidental collision, which would only
  // reject one fresh proof as a replay, negligible.
  std::string joined;
  joined.reserve(thumbprint.size() + 1 + jti.size());
  joined.append(thumbprint);
  joined.push_back('.');
  joined.append(jti);
  Sha256Digest digest = Sha256(joined);
  Key key;
  std::memcpy(key.data(), digest.data(), key.size());

  std::lock_guard lock(mutex_);
  // Besides the scheduled sweeps, a full cache is swept at most once per clock second, so a
  // flood of proofs cannot make every insertion walk the whole table.
  bool full = expiry_by_key_.size() >= max_entries_;
  if (now_unix_seconds >= next_sweep_ || (full && now_unix_seconds != last_sweep_)) {
    SweepLocked(now_unix_seconds);
  }

  auto entry = expiry_by_key_.find(key);
  if (entry != expiry_by_key_.end()) {
    if (entry->second > now_unix_seconds) return ErrorCode::kProofReplayed;
    entry->second = now_unix_seconds + lifetime_seconds_;
    return ErrorCode::kOk;
  }
  if (expiry_by_key_.size() >= max_entries_) return ErrorCode::kOutOfRange;
  expiry_by_key_.emplace(key, now_unix_seconds + lifetime_seconds_);
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
  last_sweep_ = now_unix_seconds;
}

}  // namespace dpopfleet
