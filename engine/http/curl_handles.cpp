#include "curl_handles.h"

#include <mutex>

namespace dpopfleet::http {

ErrorCode InitCurlOnce() {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return result == CURLE_OK ? ErrorCode::kOk : ErrorCode::kInternal;
}

PooledEasy EasyPool::Acquire() {
  if (idle_.empty()) return PooledEasy{CurlEasy(curl_easy_init()), ""};

  PooledEasy easy = std::move(idle_.back());
  idle_.pop_back();
  return easy;
}

void EasyPool::Release(PooledEasy easy) {
  if (!easy.handle) return;

  // The options stay, so that the next attempt of the same kind sets only what differs.
  // libcurl reads the callback data pointers and the header list only during a transfer,
  // so the stale ones an idle handle keeps are never used.
  idle_.push_back(std::move(easy));
}

}  // namespace dpopfleet::http
