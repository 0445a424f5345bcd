// libmicrohttpd glue: request assembly, delayed replies through suspend/resume, and the
// connection counter.

#include "http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

#include "http_server_deadlines.h"

namespace dpopfleet::realm {

// DelayQueue resumes suspended connections when their delay has passed, from one timer
// thread.
class HttpServer::DelayQueue {
 public:
  DelayQueue() : thread_([this] { Run(); }) {}
  ~DelayQueue() { Shutdown(); }

  // SuspendUntil suspends |connection| and schedules its resumption after |delay_ms|. It
  // returns false, leaving the connection running, once Shutdown has begun.
  bool SuspendUntil(MHD_Connection* connection, int delay_ms) {
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
    MHD_suspend_connection(connection);
    due_.emplace(std::chrono::steady_clock::now() + std::chrono::milliseconds(delay_ms),
                 connection);
    wake_.notify_one();
    return true;
  }

  // Shutdown stops the timer thread and resumes every connection still waiting, so the
  // daemon can stop with none suspended.
  void Shutdown() {
    std::multimap<std::chrono::steady_clock::time_point, MHD_Connection*> remaining;
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
      stopping_ = true;
      remaining.swap(due_);
      wake_.notify_one();
    }
    thread_.join();
    for (auto& [when, connection] : remaining) MHD_resume_connection(connection);
  }

 private:
  void Run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      if (due_.empty()) {
        wake_.wait(lock);
        continue;
      }
      auto first = due_.begin();
      if (first->first > std::chrono::steady_clock::now()) {
        wake_.wait_until(lock, first->first);
        continue;
      }
      MHD_Connection* connection = first->second;
      due_.erase(first);
      lock.unlock();
      MHD_resume_connection(connection);
      lock.lock();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::multimap<std::chrono::steady_clock::time_point, MHD_Connection*> due_;
  bool stopping_ = false;
  std::thread thread_;
};

namespace {

// RequestState lives from a request's first callback to its completion notice.
struct RequestState {
  HttpExchange exchange;
  bool replied_too_large = false;  // a 413 was queued before the body was read
  bool body_too_large = false;     // the body passed the limit while it was read
  bool delayed = false;
};

// DeclaresTooLargeBody returns true if |exchange|'s Content-Length exceeds the body limit.
bool DeclaresTooLargeBody(const HttpExchange& exchange) {
  const std::string* length = exchange.Header("content-length");
  if (length == nullptr) return false;
  std::uint64_t bytes = 0;
  auto [end, error] = std::from_chars(length->data(), length->data() + length->size(), bytes);
  return error == std::errc::result_out_of_range || (error == std::errc() && bytes > kMaxRequestBodyBytes);
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

MHD_Result CollectHeader(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto* exchange = static_cast<HttpExchange*>(cls);
  exchange->headers.emplace_back(Lower(key), value == nullptr ? "" : value);
  return MHD_YES;
}

MHD_Result CollectQuery(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto* exchange = static_cast<HttpExchange*>(cls);
  // The identity unescaper leaves query values raw, so decode them here.
  exchange->query.emplace(PercentDecode(key, true),
                          value == nullptr ? "" : PercentDecode(value, true));
  return MHD_YES;
}

// KeepEscaped is the unescape callback: it leaves the path exactly as sent, because DPoP
// compares the client's htu with the path it actually requested.
size_t KeepEscaped(void*, MHD_Connection*, char* text) { return std::strlen(text); }

void DescribePeer(MHD_Connection* connection, HttpExchange* exchange) {
  const MHD_ConnectionInfo* info =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (info == nullptr || info->client_addr == nullptr) return;
  char text[INET6_ADDRSTRLEN] = {};
  if (info->client_addr->sa_family == AF_INET) {
    const auto* in4 = reinterpret_cast<const sockaddr_in*>(info->client_addr);
    inet_ntop(AF_INET, &in4->sin_addr, text, sizeof(text));
    exchange->peer_is_loopback = (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
  } else if (info->client_addr->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(info->client_addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
    bool mapped_loopback = IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127;
    exchange->peer_is_loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) || mapped_loopback;
  }
  exchange->peer_address = text;
}

}  // namespace

std::string ClientAddress(const HttpExchange& exchange, bool behind_trusted_front) {
  const std::string* forwarded = nullptr;
  for (const auto& [name, value] : exchange.headers) {
    if (name == "x-forwarded-for") forwarded = &value;
  }
  if (forwarded == nullptr || !exchange.peer_is_loopback || !behind_trusted_front) return exchange.peer_address;
  std::string_view last(*forwarded);
  if (std::size_t comma = last.rfind(','); comma != std::string_view::npos) last.remove_prefix(comma + 1);
  while (!last.empty() && (last.front() == ' ' || last.front() == '\t')) last.remove_prefix(1);
  while (!last.empty() && (last.back() == ' ' || last.back() == '\t')) last.remove_suffix(1);
  return last.empty() ? exchange.peer_address : std::string(last);
}

namespace {

MHD_Result SendReply(MHD_Connection* connection, const HttpReply& reply) {
  MHD_Response* response = MHD_create_response_from_buffer(
      reply.body.size(), const_cast<char*>(reply.body.data()), MHD_RESPMEM_MUST_COPY);
  if (response == nullptr) return MHD_NO;
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, reply.content_type.c_str());
  for (const auto& [name, value] : reply.headers) {
    MHD_add_response_header(response, name.c_str(), value.c_str());
  }
  MHD_Result result = MHD_queue_response(connection, static_cast<unsigned>(reply.status), response);
  MHD_destroy_response(response);
  return result;
}

// AbortBody is the content reader of a reset reply: it ends the body with an error before
// any byte, so libmicrohttpd closes the connection after the headers.
ssize_t AbortBody(void*, uint64_t, char*, size_t) { return MHD_CONTENT_READER_END_WITH_ERROR; }

// SendResetReply sends a status line and headers that announce a body, then closes the
// connection. A close before any response byte would be hidden from the client: libcurl
// silently resends a request once when a reused connection dies without a response, so the
// client could not account for the fault. A truncated body reaches it as an error.
MHD_Result SendResetReply(MHD_Connection* connection) {
  constexpr uint64_t kAnnouncedBodyBytes = 64;
  MHD_Response* response =
      MHD_create_response_from_callback(kAnnouncedBodyBytes, 64, &AbortBody, nullptr, nullptr);
  if (response == nullptr) return MHD_NO;
  MHD_Result result = MHD_queue_response(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, response);
  MHD_destroy_response(response);
  return result;
}

}  // namespace

struct HttpServer::Callbacks {
  static MHD_Result OnRequest(void* cls, MHD_Connection* connection, const char* url,
                              const char* method, const char*, const char* upload_data,
                              size_t* upload_data_size, void** request_context) {
    auto* server = static_cast<HttpServer*>(cls);
    auto* state = static_cast<RequestState*>(*request_context);

    if (state == nullptr) {
      state = new RequestState;
      *request_context = state;
      HttpExchange& exchange = state->exchange;
      exchange.method = method;
      exchange.path = url;
      exchange.scheme = server->tls() ? "https" : "http";
      MHD_get_connection_values(connection, MHD_HEADER_KIND, CollectHeader, &exchange);
      MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, CollectQuery, &exchange);
      DescribePeer(connection, &exchange);
      if (DeclaresTooLargeBody(exchange)) return RejectTooLargeBody(connection, state);
      return MHD_YES;
    }

    // Once the 413 is queued, libmicrohttpd sends it and closes the connection without
    // reading the rest of the body.
    if (state->replied_too_large) {
      *upload_data_size = 0;
      return MHD_YES;
    }

    // libmicrohttpd 0.9.75 accepts a response only before the body is read or after all of
    // it, so a body without Content-Length that passes the limit is discarded to its end,
    // which the request deadline bounds.
    if (*upload_data_size != 0) {
      std::string& body = state->exchange.body;
      if (body.size() + *upload_data_size > kMaxRequestBodyBytes) {
        state->body_too_large = true;
      } else if (!state->body_too_large) {
        body.append(upload_data, *upload_data_size);
      }
      *upload_data_size = 0;
      return MHD_YES;
    }

    // The whole request has arrived: its deadline no longer applies.
    RequestDeadlines::Disarm(ConnectionEntry(connection));
    if (state->body_too_large) return RejectTooLargeBody(connection, state);

    if (!state->delayed && server->options_.delay_ms) {
      state->delayed = true;
      int delay = server->options_.delay_ms(state->exchange);
      if (delay > 0 && server->delays_->SuspendUntil(connection, delay)) return MHD_YES;
    }

    HttpReply reply = server->options_.handler(state->exchange);
    if (reply.reset_connection) return SendResetReply(connection);
    return SendReply(connection, reply);
  }

  // RejectTooLargeBody queues a 413 for a body over the limit. Called from the first call,
  // when Content-Length announces such a body, it spares the client sending the rest.
  static MHD_Result RejectTooLargeBody(MHD_Connection* connection, RequestState* state) {
    state->replied_too_large = true;
    RequestDeadlines::Disarm(ConnectionEntry(connection));
    return SendReply(connection, ErrorReply(413, "invalid_request",
                                            "request body exceeds " + std::to_string(kMaxRequestBodyBytes) +
                                                " bytes; send a smaller body",
                                            "body_too_large"));
  }

  static void OnCompleted(void*, MHD_Connection*, void** request_context,
                          MHD_RequestTerminationCode) {
    delete static_cast<RequestState*>(*request_context);
    *request_context = nullptr;
  }

  static void OnConnection(void* cls, MHD_Connection* connection, void** socket_context,
                           MHD_ConnectionNotificationCode code) {
    auto* server = static_cast<HttpServer*>(cls);
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
      server->connections_.fetch_add(1, std::memory_order_relaxed);
      const MHD_ConnectionInfo* info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
      *socket_context = server->deadlines_->Open(info != nullptr ? info->connect_fd : -1);
    } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
      server->deadlines_->Close(static_cast<RequestDeadlines::Entry*>(*socket_context));
      *socket_context = nullptr;
    }
  }

  // OnRequestLine runs when a request line arrives, so a request on a kept-alive connection
  // gets its own deadline. It returns no request context, which OnRequest then creates.
  static void* OnRequestLine(void* cls, const char*, MHD_Connection* connection) {
    static_cast<HttpServer*>(cls)->deadlines_->Arm(ConnectionEntry(connection));
    return nullptr;
  }

  static RequestDeadlines::Entry* ConnectionEntry(MHD_Connection* connection) {
    const MHD_ConnectionInfo* info = MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return info != nullptr ? static_cast<RequestDeadlines::Entry*>(info->socket_context) : nullptr;
  }
};

HttpServer::HttpServer(HttpServerOptions options) : options_(std::move(options)) {}

HttpServer::~HttpServer() { Stop(); }

Result<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options) {
  sockaddr_storage address{};
  auto* in4 = reinterpret_cast<sockaddr_in*>(&address);
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&address);
  unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME;
  if (inet_pton(AF_INET, options.bind_address.c_str(), &in4->sin_addr) == 1) {
    in4->sin_family = AF_INET;
    in4->sin_port = htons(options.port);
  } else if (inet_pton(AF_INET6, options.bind_address.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(options.port);
    flags |= MHD_USE_IPv6;
  } else {
    return Error(ErrorCode::kInvalidArgument,
                 "bind address '" + options.bind_address +
                     "' is not an IPv4 or IPv6 literal; use for example 127.0.0.1 or ::1");
  }

  std::unique_ptr<HttpServer> server(new HttpServer(std::move(options)));
  HttpServerOptions& opts = server->options_;
  if (server->tls()) flags |= MHD_USE_TLS;
  server->delays_ = std::make_unique<DelayQueue>();
  server->deadlines_ = std::make_unique<RequestDeadlines>(opts.request_timeout_seconds);

  unsigned threads = std::max(1U, opts.threads);
  std::vector<MHD_OptionItem> items = {
      {MHD_OPTION_SOCK_ADDR, 0, &address},
      {MHD_OPTION_NOTIFY_COMPLETED, reinterpret_cast<intptr_t>(&Callbacks::OnCompleted), nullptr},
      {MHD_OPTION_NOTIFY_CONNECTION, reinterpret_cast<intptr_t>(&Callbacks::OnConnection),
       server.get()},
      {MHD_OPTION_UNESCAPE_CALLBACK, reinterpret_cast<intptr_t>(&KeepEscaped), nullptr},
      {MHD_OPTION_URI_LOG_CALLBACK, reinterpret_cast<intptr_t>(&Callbacks::OnRequestLine), server.get()},
      {MHD_OPTION_CONNECTION_TIMEOUT, static_cast<intptr_t>(std::max(0, opts.request_timeout_seconds)), nullptr},
      // libmicrohttpd 0.9.75 defaults to FD_SETSIZE - 4 (1020) connections even with epoll,
      // too few for load tests; the process's open-file limit still applies.
      {MHD_OPTION_CONNECTION_LIMIT, opts.max_connections, nullptr},
      // One client holding many slow connections must leave room for the others.
      {MHD_OPTION_PER_IP_CONNECTION_LIMIT, opts.connections_per_ip, nullptr},
  };
  if (threads > 1) items.push_back({MHD_OPTION_THREAD_POOL_SIZE, threads, nullptr});
  if (server->tls()) {
    items.push_back({MHD_OPTION_HTTPS_MEM_CERT, 0, const_cast<char*>(opts.cert_pem.c_str())});
    items.push_back({MHD_OPTION_HTTPS_MEM_KEY, 0, const_cast<char*>(opts.key_pem.c_str())});
  }
  items.push_back({MHD_OPTION_END, 0, nullptr});

  server->daemon_ = MHD_start_daemon(flags, 0, nullptr, nullptr, &Callbacks::OnRequest, server.get(),
                                     MHD_OPTION_ARRAY, items.data(), MHD_OPTION_END);
  if (server->daemon_ == nullptr) {
    // TLS material and the thread count are checked before this point, so what is left is
    // the socket: errno names the reason (EADDRINUSE, EACCES, EADDRNOTAVAIL, ...).
    int error = errno;
    server->delays_->Shutdown();
    server->deadlines_->Shutdown();
    std::string hint = error == EADDRINUSE ? "; the port is in use, pass --port 0 for a free one"
                       : error == EADDRNOTAVAIL ? "; the address is not on this machine, pass --bind 127.0.0.1"
                       : error == EACCES ? "; ports below 1024 need privileges, pass --port 0 for a free one"
                                         : "; check --bind, --port and --threads";
    return Error(ErrorCode::kIoError, "cannot start the HTTP server on " + opts.bind_address + " port " +
                                          std::to_string(opts.port) + " (" + std::strerror(error) + ")" + hint);
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(server->daemon_, MHD_DAEMON_INFO_BIND_PORT);
  server->port_ = info != nullptr ? info->port : opts.port;
  return server;
}

void HttpServer::Stop() {
  if (stopped_.exchange(true)) return;
  if (delays_) delays_->Shutdown();
  if (daemon_ != nullptr) {
    MHD_stop_daemon(daemon_);
    daemon_ = nullptr;
  }
  if (deadlines_) deadlines_->Shutdown();
}

}  // namespace dpopfleet::realm
