#include "loopback_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>

namespace dpopfleet::bench {
namespace {

constexpr char kBody[] = "ok";

// Reply drains any request body and queues the shared response, which libmicrohttpd
// reference-counts, so a request allocates nothing here.
MHD_Result Reply(void* response, MHD_Connection* connection, const char*, const char*,
                 const char*, const char*, size_t* upload_data_size, void** request_state) {
  if (*request_state == nullptr) {
    *request_state = connection;
    return MHD_YES;
  }
  if (*upload_data_size > 0) {
    *upload_data_size = 0;
    return MHD_YES;
  }
  return MHD_queue_response(connection, MHD_HTTP_OK, static_cast<MHD_Response*>(response));
}

}  // namespace

std::unique_ptr<LoopbackServer> LoopbackServer::Start(std::uint16_t port, unsigned threads) {
  std::unique_ptr<LoopbackServer> server(new LoopbackServer());
  server->response_ = MHD_create_response_from_buffer(sizeof kBody - 1, const_cast<char*>(kBody),
                                                       MHD_RESPMEM_PERSISTENT);
  if (server->response_ == nullptr) return nullptr;

  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

  // One thread is the daemon's own polling thread, so the pool option is left out then:
  // libmicrohttpd 0.9.75 warns about a pool size of 0 or 1. An MHD_OPTION_END entry ends
  // the array early.
  MHD_OptionItem options[] = {
      {MHD_OPTION_SOCK_ADDR, 0, &address},
      {MHD_OPTION_CONNECTION_LIMIT, 10'000, nullptr},
      {threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, static_cast<intptr_t>(threads),
       nullptr},
      {MHD_OPTION_END, 0, nullptr},
  };
  server->daemon_ = MHD_start_daemon(
      MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_TURBO | MHD_USE_ERROR_LOG, 0, nullptr, nullptr,
      &Reply, server->response_, MHD_OPTION_ARRAY, options, MHD_OPTION_END);
  if (server->daemon_ == nullptr) return nullptr;

  const MHD_DaemonInfo* info = MHD_get_daemon_info(server->daemon_, MHD_DAEMON_INFO_BIND_PORT);
  if (info == nullptr) return nullptr;
  server->port_ = info->port;
  return server;
}

LoopbackServer::~LoopbackServer() {
  if (daemon_ != nullptr) MHD_stop_daemon(daemon_);
  if (response_ != nullptr) MHD_destroy_response(response_);
}

}  // namespace dpopfleet::bench
