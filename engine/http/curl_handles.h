// RAII owners for libcurl handles, and the once-per-process libcurl initialisation.

#ifndef DPOPFLEET_ENGINE_HTTP_CURL_HANDLES_H_
#define DPOPFLEET_ENGINE_HTTP_CURL_HANDLES_H_

#include <curl/curl.h>

#include <memory>
#include <string>
#include <vector>

#include "dpopfleet/status.h"

namespace dpopfleet::http {

struct CurlEasyDeleter {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct CurlMultiDeleter {
  void operator()(CURLM* handle) const { curl_multi_cleanup(handle); }
};
struct CurlSlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;
using CurlMulti = std::unique_ptr<CURLM, CurlMultiDeleter>;
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

// InitCurlOnce runs curl_global_init once per process. It returns kOk or kInternal.
ErrorCode InitCurlOnce();

// PooledEasy is an easy handle with the name of the option set it carries: the options
// every attempt shares plus those of one kind of request (see ConfigureEasy in transfer.h).
// An empty |profile| means that no option was set yet.
struct PooledEasy {
  CurlEasy handle;
  std::string profile;
};

// EasyPool keeps finished easy handles for reuse, so that a transfer costs no handle
// allocation, keeps libcurl's per-handle buffers warm and keeps its options. Not
// thread-safe: the loop thread owns it.
class EasyPool {
 public:
  // Acquire returns an idle handle with the options it last had, or a new one. Its handle
  // is null if libcurl could not allocate one.
  PooledEasy Acquire();

  // Release keeps |easy| for a later Acquire, options included.
  void Release(PooledEasy easy);

  std::size_t idle() const { return idle_.size(); }

 private:
  std::vector<PooledEasy> idle_;
};

}  // namespace dpopfleet::http

#endif  // DPOPFLEET_ENGINE_HTTP_CURL_HANDLES_H_
