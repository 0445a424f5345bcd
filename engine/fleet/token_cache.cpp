// TokenCache: early refresh and single-flight fetching.

#include "dpopfleet/token_cache.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "dpopfleet/dpop_proof.h"
#include "dpopfleet/oauth_json.h"

namespace dpopfleet {

// Flight is one fetch in progress; waiters block on the cache's condition until done.
struct TokenCache::Flight {
  std::mutex mutex;
  std::condition_variable done_changed;
  bool done = false;
  std::optional<Result<std::shared_ptr<const CachedToken>>> result;
};

namespace {

// kMaxLifetimeSeconds caps a lifetime from an "exp" claim (ten years) so the millisecond
// arithmetic below cannot overflow.
constexpr std::int64_t kMaxLifetimeSeconds = 10LL * 365 * 24 * 3600;

// UnitRandom returns a value in [0, 1) from |random|, or 0 if it fails.
double UnitRandom(RandomSource& random) {
  std::array<std::uint8_t, 4> bytes{};
  if (random.Fill(bytes) != ErrorCode::kOk) return 0;
  std::uint32_t value = 0;
  std::memcpy(&value, bytes.data(), bytes.size());
  return static_cast<double>(value) / 4294967296.0;
}

// ClaimExpiry returns the "exp" claim of a JWT access token in seconds, or 0.
std::int64_t ClaimExpiry(const std::string& access_token) {
  std::string claims = DecodeTokenClaims(access_token);
  if (claims.empty()) return 0;
  auto fields = JsonFields::Parse(claims, "access token claims");
  return fields.ok() ? fields->Int("exp").value_or(0) : 0;
}

// EarlierClaimExpiry returns the token's "exp" in milliseconds when it lies between
// |now_millis| and |expires_at_millis|, else |expires_at_millis|. expires_in counts from
// the server's response, which can precede the entry by a whole fleet mint, and the server
// rounds "exp" down to whole seconds. An "exp" already past reads as clock skew and is
// ignored.
std::int64_t EarlierClaimExpiry(const std::string& access_token, std::int64_t now_millis,
                                std::int64_t expires_at_millis) {
  std::int64_t claim_seconds = std::min(ClaimExpiry(access_token), now_millis / 1000 + kMaxLifetimeSeconds);
  std::int64_t claim_millis = claim_seconds * 1000;
  return claim_millis > now_millis && claim_millis < expires_at_millis ? claim_millis : expires_at_millis;
}

}  // namespace

std::shared_ptr<const CachedToken> TokenCache::MakeEntry(const TokenResponse& token) {
  auto entry = std::make_shared<CachedToken>();
  entry->access_token = token.access_token;
  entry->token_type = token.token_type;
  entry->scope = token.scope;
  entry->ath = AccessTokenHash(token.access_token);

  std::int64_t now = options_.clock->NowUnixMillis();
  std::int64_t lifetime_seconds = token.expires_in;
  if (lifetime_seconds <= 0) {
    std::int64_t exp = ClaimExpiry(token.access_token);
    lifetime_seconds = exp > now / 1000 ? exp - now / 1000 : options_.default_lifetime_seconds;
    lifetime_seconds = std::min<std::int64_t>(lifetime_seconds, kMaxLifetimeSeconds);
  }
  entry->obtained_at_millis = now;
  entry->expires_at_millis = EarlierClaimExpiry(token.access_token, now, now + lifetime_seconds * 1000);

  double lifetime_millis = static_cast<double>(entry->expires_at_millis - now);
  double fraction = options_.refresh_fraction - options_.jitter_fraction * UnitRandom(*options_.random);
  entry->refresh_at_millis = now + static_cast<std::int64_t>(lifetime_millis * fraction);
  return entry;
}

std::shared_ptr<const CachedToken> TokenCache::Put(const std::string& key, const TokenResponse& token) {
  std::shared_ptr<const CachedToken> entry = MakeEntry(token);
  std::lock_guard lock(mutex_);
  entries_[key].token = entry;
  return entry;
}

std::shared_ptr<const CachedToken> TokenCache::Peek(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end() || !it->second.token) return nullptr;
  if (options_.clock->NowUnixMillis() >= it->second.token->expires_at_millis) return nullptr;
  return it->second.token;
}

bool TokenCache::NeedsRefresh(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  return it == entries_.end() || !it->second.token ||
         options_.clock->NowUnixMillis() >= it->second.token->refresh_at_millis;
}

Result<std::shared_ptr<const CachedToken>> TokenCache::Get(const std::string& key, const Fetcher& fetch) {
  std::shared_ptr<Flight> flight;
  bool leader = false;
  {
    std::lock_guard lock(mutex_);
    Entry& entry = entries_[key];
    std::int64_t now = options_.clock->NowUnixMillis();
    bool fresh = entry.token && now < entry.token->refresh_at_millis;
    bool usable = entry.token && now < entry.token->expires_at_millis;
    if (fresh || (usable && entry.flight)) return entry.token;

    if (!entry.flight) {
      entry.flight = std::make_shared<Flight>();
      leader = true;
    }
    flight = entry.flight;
  }

  if (!leader) {
    std::unique_lock wait_lock(flight->mutex);
    flight->done_changed.wait(wait_lock, [&] { return flight->done; });
    return *flight->result;
  }

  fetch_count_.fetch_add(1);
  Result<TokenResponse> fetched = fetch();
  Result<std::shared_ptr<const CachedToken>> result =
      fetched.ok() ? Result<std::shared_ptr<const CachedToken>>(MakeEntry(*fetched))
                   : Result<std::shared_ptr<const CachedToken>>(fetched.error());
  {
    std::lock_guard lock(mutex_);
    Entry& entry = entries_[key];
    if (result.ok()) entry.token = *result;
    entry.flight.reset();
  }
  {
    std::lock_guard flight_lock(flight->mutex);
    flight->result = result;
    flight->done = true;
  }
  flight->done_changed.notify_all();
  return result;
}

}  // namespace dpopfleet
