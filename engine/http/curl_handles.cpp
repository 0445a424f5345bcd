#include "curl_handles.h"

#include <mutex>

namespace dpopfleet::http {

ErrorCode InitCurlOnce() {
  static std::once_flag once;
  static CURLcode result = CURLE_OK;
  std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
  return result == CURLE_OK ? ErrorCode::kOk : ErrorCode::kInternal;
}

CurlEasy EasyPool::Acquire() {
  if (idle_.empty()) return CurlEasy(curl_easy_init());

  CurlEasy handle = std::move(idle_.back());
  idle_.pop_back();
  return handle;
}

void EasyPool::Release(CurlEasy handle) {
  if (!handle) return;

  // curl_easy_reset clears every option but keeps the handle's connection-independent
  // caches (DNS, TLS session IDs) and its buffers.
  curl_easy_reset(handle.get());
  idle_.push_back(std::move(handle));
}

}  // namespace dpopfleet::http
