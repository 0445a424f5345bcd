// dpopfleet bench http: requests/s through the transport against one URL, for side-by-side
// runs with wrk and h2load (bench/compare_http.sh).

#include <cstdio>
#include <memory>

#include "bench_command.h"
#include "bench_http_run.h"
#include "command.h"

namespace dpopfleet::cli {
namespace {

void Setup(CLI::App& root, int* exit_code) {
  CLI::App* bench = BenchCommand(root);
  auto* command = bench->add_subcommand(
      "http", "Measure requests/s through the transport against one URL (keep-alive or HTTP/2)");
  auto config = std::make_shared<HttpBenchConfig>();
  command->add_option("--url", config->url, "URL to GET, such as http://127.0.0.1:8080/")
      ->required();
  command->add_option("--connections", config->connections, "Connections to open (1-10000)")
      ->capture_default_str();
  command->add_option("--seconds", config->seconds, "Measurement time in seconds")
      ->capture_default_str();
  command->add_flag("--h2", config->http2,
                    "Use HTTP/2 over TLS and multiplex --streams requests per connection");
  command->add_option("--streams", config->streams,
                      "Requests in flight per connection with --h2 (like h2load -m)")
      ->capture_default_str();
  command->add_flag("--dpop", config->dpop,
                    "Send a fresh ES256 DPoP proof with every request, signed ahead on worker threads");
  command->add_option("--ca-file", config->ca_file, "PEM file of CAs that sign the server's certificate");

  command->callback([config, exit_code] {
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
    if (!report->first_error.empty()) {
      std::printf("first error    %s\n", report->first_error.c_str());
    }
    *exit_code = report->completed > 0 ? (report->failed > 0 ? kExitPartialFailure : kExitOk)
                                       : kExitFailure;
  });
}

const CommandRegistrar kRegistrar(90, Setup);

}  // namespace
}  // namespace dpopfleet::cli
