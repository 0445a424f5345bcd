// dpopfleet bench http: requests/s through the transport against one URL, for side-by-side
// runs with wrk and h2load (bench/compare_http.sh).

#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "access_token_file.h"
#include "bench_command.h"
#include "bench_http_run.h"
#include "command.h"

namespace dpopfleet::cli {
namespace {

// FormatStatuses returns "200 1234, 401 5", with "no response" for status 0.
std::string FormatStatuses(const std::map<long, std::uint64_t>& statuses) {
  if (statuses.empty()) return "none";
  std::string text;
  for (const auto& [status, count] : statuses) {
    if (!text.empty()) text += ", ";
    text += (status == 0 ? std::string("no response") : std::to_string(status)) + " " + std::to_string(count);
  }
  return text;
}

void Setup(CLI::App& root, int* exit_code) {
  CLI::App* bench = BenchCommand(root);
  auto* command = bench->add_subcommand(
      "http", "Measure requests/s through the transport against one URL (keep-alive or HTTP/2)");
  auto config = std::make_shared<HttpBenchConfig>();
  auto options = std::make_shared<std::string>();
  command->add_option("--url", config->url,
                      "URL to GET, such as https://127.0.0.1:8443/; plain http:// only to loopback unless "
                      "--allow-insecure-http")
      ->required();
  command->add_option("--connections", config->connections, "Connections to open (1 to 10000)")
      ->capture_default_str()
      ->check(CLI::Range(1L, 10'000L));
  command->add_option("--seconds", config->seconds, "Measurement time in seconds (more than 0, at most 3600)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  command->add_flag("--h2", config->http2,
                    "Use HTTP/2 over TLS and multiplex --streams requests per connection");
  command->add_option("--streams", config->streams,
                      "Requests in flight per connection with --h2, like h2load -m (1 to 1000)")
      ->capture_default_str()
      ->check(CLI::Range(1L, 1'000L));
  command->add_flag("--dpop", config->dpop,
                    "Send a fresh ES256 DPoP proof with every request, signed ahead on worker threads");
  command->add_option("--access-token-file", *options,
                      "File whose first line is an access token (or a `mint --out` file), or - for standard "
                      "input: sent as Authorization: DPoP with --dpop, with its hash as ath in every proof, "
                      "else as Authorization: Bearer");
  command->add_option("--key", config->key_file,
                      "P-256 private key file (private JWK or PEM, mode 0600) that signs the proofs; with a "
                      "DPoP-bound --access-token-file, the key the token is bound to (`mint --export-keys` "
                      "writes it). Default: a fresh key");
  command->add_option("--ca-file", config->ca_file, "PEM file of CAs that sign the server's certificate");
  command->add_flag("--allow-insecure-http", config->allow_insecure_http,
                    "Allow plain http:// to a host other than loopback, on a trusted test network only");

  command->callback([config, options, exit_code] {
    if (!options->empty()) config->access_token = ReadAccessTokenFile(*options);
    Result<HttpBenchReport> report = RunHttpBench(*config);
    if (!report.ok()) {
      if (report.error().code() == ErrorCode::kInvalidArgument) {
        throw UsageError(report.error().message());
      }
      std::fprintf(stderr, "error: %s\n", report.error().ToString().c_str());
      *exit_code = kExitFailure;
      return;
    }

    std::printf("url            %s\n", config->url.c_str());
    std::printf("protocol       %s, %ld connections, %ld in flight%s\n",
                config->http2 ? "HTTP/2" : "HTTP/1.1", config->connections, report->in_flight,
                config->dpop ? ", DPoP proof per request" : "");
    std::printf("completed      %llu in %.2f s (%llu failed, %llu connections opened)\n",
                static_cast<unsigned long long>(report->completed), report->elapsed_seconds,
                static_cast<unsigned long long>(report->failed),
                static_cast<unsigned long long>(report->connections));
    std::printf("requests/s     %.0f\n", report->requests_per_second());
    if (config->dpop) {
      std::printf("proofs         %llu signed ahead on worker threads, the rest on the loop thread\n",
                  static_cast<unsigned long long>(report->presigned_proofs));
    }
    std::printf("statuses       %s\n", FormatStatuses(report->statuses).c_str());
    if (!report->first_error.empty()) {
      std::printf("first error    %s\n", report->first_error.c_str());
    }
    if (!report->stopped_early.empty()) {
      std::fprintf(stderr, "error: stopped after %.3f s: %s: %s\n", report->elapsed_seconds,
                   report->stopped_early.c_str(), report->first_error.c_str());
    } else if (report->completed == 0) {
      std::fprintf(stderr, "error: no request got a 2xx response; see statuses and first error above\n");
    }
    *exit_code = report->completed > 0 ? (report->failed > 0 ? kExitPartialFailure : kExitOk)
                                       : kExitFailure;
  });
}

const CommandRegistrar kRegistrar(90, Setup);

}  // namespace
}  // namespace dpopfleet::cli
