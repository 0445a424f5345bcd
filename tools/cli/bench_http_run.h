// The load loop behind `dpopfleet bench http`: keeps a fixed number of requests in flight
// through one Transport for a fixed time and counts completed responses.

#ifndef DPOPFLEET_TOOLS_CLI_BENCH_HTTP_RUN_H_
#define DPOPFLEET_TOOLS_CLI_BENCH_HTTP_RUN_H_

#include <cstdint>
#include <map>
#include <string>

#include "dpopfleet/status.h"

namespace dpopfleet::cli {

struct HttpBenchConfig {
  std::string url;
  long connections = 8;
  double seconds = 5.0;

  // http2 negotiates HTTP/2 over TLS and multiplexes |streams| requests per connection;
  // without it each HTTP/1.1 connection carries one request at a time.
  bool http2 = false;
  long streams = 10;

  // dpop signs a fresh ES256 DPoP proof for every request.
  bool dpop = false;
  std::string ca_file;

  // access_token, when not empty, is sent as "Authorization: DPoP <token>" with dpop (and
  // its hash as "ath" in every proof), or as "Authorization: Bearer <token>" without.
  std::string access_token;

  // key_file, when not empty, is the P-256 private key (JWK or PEM) that signs the proofs.
  // A DPoP-bound access_token needs the key it is bound to. Without key_file a fresh key
  // signs the proofs.
  std::string key_file;

  // allow_insecure_http permits http:// to a host other than loopback.
  bool allow_insecure_http = false;
};

struct HttpBenchReport {
  std::uint64_t completed = 0;
  std::uint64_t failed = 0;
  std::uint64_t connections = 0;
  long in_flight = 0;

  // presigned_proofs counts proofs signed ahead on worker threads; the rest were signed on
  // the loop thread when the request was built.
  std::uint64_t presigned_proofs = 0;
  double elapsed_seconds = 0;
  std::string first_error;

  // statuses counts final HTTP statuses, with 0 for requests that got no response.
  std::map<long, std::uint64_t> statuses;

  // stopped_early, when not empty, is why the run ended before its time: every request of
  // the first second failed with the same error and none got a response.
  std::string stopped_early;

  double requests_per_second() const {
    return elapsed_seconds > 0 ? static_cast<double>(completed) / elapsed_seconds : 0;
  }
};

// RunHttpBench runs the load loop. It fails with kInvalidArgument for a bad config: a value
// out of range, a malformed URL, plain HTTP to a host other than loopback without
// allow_insecure_http, an unreadable key_file, or a DPoP access token bound to another key
// than the one signing the proofs. It fails with the transport's error if the Transport
// cannot be created. Failed requests do not fail the run but are counted in the report.
// When every request of the first second failed with one error and none got a response,
// the run stops early.
Result<HttpBenchReport> RunHttpBench(const HttpBenchConfig& config);

}  // namespace dpopfleet::cli

#endif  // DPOPFLEET_TOOLS_CLI_BENCH_HTTP_RUN_H_
