#include "test_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>

namespace dpopfleet::testing {
namespace {

constexpr auto kStallLimit = std::chrono::seconds(10);

// RequestState accumulates one request across libmicrohttpd's access-handler calls.
struct RequestState {
  std::string body;
};

MHD_Result CollectHeader(void* out, MHD_ValueKind, const char* key, const char* value) {
  std::string name(key);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static_cast<std::map<std::string, std::string>*>(out)->emplace(std::move(name),
                                                                 value != nullptr ? value : "");
  return MHD_YES;
}

void FreeRequestState(void*, MHD_Connection*, void** request_state,
                      MHD_RequestTerminationCode) {
  delete static_cast<RequestState*>(*request_state);
  *request_state = nullptr;
}

void CountConnection(void* counter, MHD_Connection*, void**, MHD_ConnectionNotificationCode code) {
  if (code == MHD_CONNECTION_NOTIFY_STARTED) ++*static_cast<std::atomic<int>*>(counter);
}

// ResetConnection makes the kernel send RST on close instead of FIN.
void ResetConnection(MHD_Connection* connection) {
  const MHD_ConnectionInfo* info =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
  if (info == nullptr) return;
  linger option{1, 0};
  setsockopt(info->connect_fd, SOL_SOCKET, SO_LINGER, &option, sizeof option);
}

}  // namespace

struct TestServerAccess {
  static MHD_Result OnRequest(void* cls, MHD_Connection* connection, const char* url,
                              const char* method, const char* version, const char* upload_data,
                              std::size_t* upload_data_size, void** request_state);
};

std::string ReceivedRequest::HeaderOr(const std::string& name, const std::string& fallback) const {
  auto it = headers.find(name);
  return it == headers.end() ? fallback : it->second;
}

TestServer::TestServer(Handler handler, bool tls) : handler_(std::move(handler)), tls_(tls) {}

std::unique_ptr<TestServer> TestServer::Start(Handler handler, TestServerOptions options) {
  bool tls = !options.certificate_pem.empty() && !options.private_key_pem.empty();
  std::unique_ptr<TestServer> server(new TestServer(std::move(handler), tls));
  server->certificate_pem_ = std::move(options.certificate_pem);
  server->private_key_pem_ = std::move(options.private_key_pem);

  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = 0;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

  unsigned flags = MHD_USE_AUTO | MHD_USE_INTERNAL_POLLING_THREAD |
                   MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
  if (tls) flags |= MHD_USE_TLS;

  TestServer* self = server.get();
  MHD_AccessHandlerCallback access = &TestServerAccess::OnRequest;
  if (tls) {
    server->daemon_ = MHD_start_daemon(
        flags, 0, nullptr, nullptr, access, self, MHD_OPTION_SOCK_ADDR, &address,
        MHD_OPTION_NOTIFY_COMPLETED, &FreeRequestState, nullptr, MHD_OPTION_NOTIFY_CONNECTION,
        &CountConnection, &self->connections_, MHD_OPTION_HTTPS_MEM_KEY,
        self->private_key_pem_.c_str(), MHD_OPTION_HTTPS_MEM_CERT,
        self->certificate_pem_.c_str(), MHD_OPTION_END);
  } else {
    server->daemon_ = MHD_start_daemon(
        flags, 0, nullptr, nullptr, access, self, MHD_OPTION_SOCK_ADDR, &address,
        MHD_OPTION_NOTIFY_COMPLETED, &FreeRequestState, nullptr, MHD_OPTION_NOTIFY_CONNECTION,
        &CountConnection, &self->connections_, MHD_OPTION_END);
  }
  if (server->daemon_ == nullptr) return nullptr;

  const MHD_DaemonInfo* info = MHD_get_daemon_info(server->daemon_, MHD_DAEMON_INFO_BIND_PORT);
  if (info == nullptr) return nullptr;
  server->port_ = info->port;
  return server;
}

TestServer::~TestServer() {
  ReleaseStalled();
  if (daemon_ != nullptr) MHD_stop_daemon(daemon_);
}

std::string TestServer::Url(const std::string& path) const {
  return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + path;
}

std::vector<ReceivedRequest> TestServer::received() const {
  std::lock_guard lock(mutex_);
  return received_;
}

bool TestServer::WaitForRequests(int count) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, std::chrono::seconds(10),
                           [&] { return static_cast<int>(received_.size()) >= count; });
}

void TestServer::ReleaseStalled() {
  {
    std::lock_guard lock(mutex_);
    released_ = true;
  }
  changed_.notify_all();
}

MHD_Result TestServerAccess::OnRequest(void* cls, MHD_Connection* connection, const char* url,
                                       const char* method, const char*, const char* upload_data,
                                       std::size_t* upload_data_size, void** request_state) {
  auto* self = static_cast<TestServer*>(cls);

  // libmicrohttpd calls once for the headers, then once per body chunk, then once more.
  auto* state = static_cast<RequestState*>(*request_state);
  if (state == nullptr) {
    *request_state = new RequestState();
    return MHD_YES;
  }
  if (*upload_data_size > 0) {
    state->body.append(upload_data, *upload_data_size);
    *upload_data_size = 0;
    return MHD_YES;
  }

  ReceivedRequest request;
  request.method = method;
  request.path = url;
  request.body = std::move(state->body);
  MHD_get_connection_values(connection, MHD_HEADER_KIND, &CollectHeader, &request.headers);

  int index = self->requests_.fetch_add(1);
  ScriptedReply reply = self->handler_(request, index);
  {
    std::lock_guard lock(self->mutex_);
    self->received_.push_back(std::move(request));
  }
  self->changed_.notify_all();

  if (reply.action == ScriptedReply::Action::kResetConnection) {
    ResetConnection(connection);
    return MHD_NO;
  }
  if (reply.action == ScriptedReply::Action::kStall) {
    std::unique_lock lock(self->mutex_);
    self->changed_.wait_for(lock, kStallLimit, [&] { return self->released_; });
  }

  MHD_Response* response = MHD_create_response_from_buffer(
      reply.body.size(), reply.body.data(), MHD_RESPMEM_MUST_COPY);
  for (const auto& [name, value] : reply.headers) {
    MHD_add_response_header(response, name.c_str(), value.c_str());
  }
  MHD_Result queued = MHD_queue_response(connection, reply.status, response);
  MHD_destroy_response(response);
  return queued;
}

}  // namespace dpopfleet::testing
