// Per-agent access token cache with early refresh and single-flight fetching.

#ifndef DPOPFLEET_TOKEN_CACHE_H_
#define DPOPFLEET_TOKEN_CACHE_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "dpopfleet/clock.h"
#include "dpopfleet/crypto.h"
#include "dpopfleet/oauth_token.h"
#include "dpopfleet/status.h"

namespace dpopfleet {

// CachedToken is an access token with the times the cache manages it by.
struct CachedToken {
  std::string access_token;
  std::string token_type;
  std::string scope;

  // ath is AccessTokenHash(access_token), computed once for every proof made with it.
  std::string ath;

  std::int64_t obtained_at_millis = 0;
  std::int64_t expires_at_millis = 0;

  // refresh_at_millis is when the cache fetches a replacement: about 80% into the lifetime.
  std::int64_t refresh_at_millis = 0;
};

// TokenCacheOptions tune when tokens are refreshed.
struct TokenCacheOptions {
  // refresh_fraction of a token's lifetime passes before it is refreshed, minus a random
  // share of up to jitter_fraction so a fleet minted together does not refresh together.
  double refresh_fraction = 0.8;
  double jitter_fraction = 0.05;

  // default_lifetime_seconds applies when the server reported no expires_in and the token
  // carries no "exp" claim.
  std::int64_t default_lifetime_seconds = 300;

  const Clock* clock = &SystemClock();
  RandomSource* random = &SystemRandomSource();
};

// TokenCache maps an agent key (such as its thumbprint) to its current token. It is
// thread-safe. Get is single-flight: while one caller fetches a key's token, other callers
// of that key wait for the same fetch, or use the previous token if it has not expired yet.
class TokenCache {
 public:
  // Fetcher obtains a new token; Get calls it without holding the cache's lock.
  using Fetcher = std::function<Result<TokenResponse>()>;

  explicit TokenCache(TokenCacheOptions options = {}) : options_(options) {}

  // Get returns |key|'s token, calling |fetch| when there is none or it is due for refresh.
  // A failed fetch is returned to every caller that waited for it and is not cached.
  Result<std::shared_ptr<const CachedToken>> Get(const std::string& key, const Fetcher& fetch);

  // Put stores |token| for |key|, as obtained by a bulk mint, and returns the entry.
  std::shared_ptr<const CachedToken> Put(const std::string& key, const TokenResponse& token);

  // Peek returns |key|'s token if it has not expired, or nullptr. It never fetches.
  std::shared_ptr<const CachedToken> Peek(const std::string& key) const;

  // NeedsRefresh returns true if |key| has no token or its refresh time has come.
  bool NeedsRefresh(const std::string& key) const;

  // fetch_count returns how many times Get called a fetcher.
  std::uint64_t fetch_count() const { return fetch_count_.load(); }

 private:
  struct Flight;
  struct Entry {
    std::shared_ptr<const CachedToken> token;
    std::shared_ptr<Flight> flight;
  };

  std::shared_ptr<const CachedToken> MakeEntry(const TokenResponse& token);

  const TokenCacheOptions options_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> entries_;
  std::atomic<std::uint64_t> fetch_count_{0};
};

}  // namespace dpopfleet

#endif  // DPOPFLEET_TOKEN_CACHE_H_
