#include <algorithm>
#include <memory>

#include "curl_handles.h"
#include "dpopfleet/transport.h"
#include "transport_loop.h"

namespace dpopfleet {

const std::string* HttpResponse::Header(std::string_view lower_case_name) const {
  for (const HttpHeader& header : headers) {
    if (header.name == lower_case_name) return &header.value;
  }
  return nullptr;
}

std::future<TransferResult> Transport::Submit(RequestFactory factory, RequestOptions options) {
  auto promise = std::make_shared<std::promise<TransferResult>>();
  std::future<TransferResult> future = promise->get_future();
  Submit(std::move(factory), std::move(options),
         [promise](TransferResult result) { promise->set_value(std::move(result)); });
  return future;
}

Result<std::unique_ptr<Transport>> Transport::Create(TransportOptions options) {
  if (options.clock == nullptr || options.random == nullptr) {
    return Error(ErrorCode::kInvalidArgument,
                 "TransportOptions.clock and TransportOptions.random must not be null; leave "
                 "them at their defaults unless a test injects fakes");
  }
  if (options.max_in_flight < 1) {
    return Error(ErrorCode::kInvalidArgument,
                 "TransportOptions.max_in_flight is " + std::to_string(options.max_in_flight) +
                     "; it must be at least 1");
  }
  if (http::InitCurlOnce() != ErrorCode::kOk) {
    return Error(ErrorCode::kInternal, "curl_global_init failed; libcurl cannot be used");
  }

  http::CurlMulti multi(curl_multi_init());
  if (!multi) return Error(ErrorCode::kInternal, "curl_multi_init failed; out of memory");

  // HTTP/2 streams share a connection. PIPEWAIT on each transfer makes a new transfer wait
  // until a connection still being set up has negotiated whether it multiplexes.
  bool ok = true;
  CURLM* handle = multi.get();
  ok &= curl_multi_setopt(handle, CURLMOPT_PIPELINING,
                          options.http2 ? CURLPIPE_MULTIPLEX : CURLPIPE_NOTHING) == CURLM_OK;
  ok &= curl_multi_setopt(handle, CURLMOPT_MAX_TOTAL_CONNECTIONS,
                          options.max_total_connections) == CURLM_OK;
  ok &= curl_multi_setopt(handle, CURLMOPT_MAX_HOST_CONNECTIONS,
                          options.max_host_connections) == CURLM_OK;
  ok &= curl_multi_setopt(handle, CURLMOPT_MAX_CONCURRENT_STREAMS,
                          std::max(1L, options.max_concurrent_streams)) == CURLM_OK;

  // libcurl's default cache holds 4 idle connections per transfer currently added
  // (CURLMOPT_MAXCONNECTS), so it can close connections as a burst drains. Without this,
  // http_transport_bench saw 16 instead of 8 connections; the limit keeps them all.
  if (options.max_total_connections > 0) {
    ok &= curl_multi_setopt(handle, CURLMOPT_MAXCONNECTS, options.max_total_connections) == CURLM_OK;
  }
  if (!ok) {
    return Error(ErrorCode::kInternal,
                 "curl_multi_setopt rejected the connection limits; libcurl 7.67 or newer is "
                 "needed for CURLMOPT_MAX_CONCURRENT_STREAMS");
  }

  auto transport = std::make_unique<http::CurlTransport>(std::move(options), std::move(multi));
  if (transport->OpenEvents() != ErrorCode::kOk) {
    return Error(ErrorCode::kIoError,
                 "creating the transport's epoll set or eventfd failed; the process may have "
                 "run out of file descriptors (see ulimit -n)");
  }
  transport->Start();
  return std::unique_ptr<Transport>(std::move(transport));
}

}  // namespace dpopfleet
