// The outbox: verification messages written as one JSON file each instead of being mailed.
//
// Thread safety: every method may be called from many threads at once.

#ifndef DPOPFLEET_ENGINE_REALM_OUTBOX_H_
#define DPOPFLEET_ENGINE_REALM_OUTBOX_H_

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dpopfleet/status.h"

namespace dpopfleet::realm {

struct OutboxMessage {
  std::string to;
  std::string subject;
  std::string body;
  std::string verification_code;
  std::string enrollment_id;
  std::string realm;
  std::int64_t sent_at_millis = 0;

  // ToJson returns the message as the JSON object its file contains.
  std::string ToJson() const;
};

class Outbox {
 public:
  // Outbox writes to |directory|, which must exist.
  explicit Outbox(std::string directory) : directory_(std::move(directory)) {}

  const std::string& directory() const { return directory_; }

  // Send writes |message| to "<directory>/<sent_at_millis>-<sequence>.json" with mode 0600.
  // It fails with kIoError naming the file.
  Status Send(const OutboxMessage& message);

  // Latest returns the newest message to |email|, or nullopt. File names sort by time, so
  // it reads files from the newest until one matches.
  std::optional<OutboxMessage> Latest(std::string_view email) const;

 private:
  const std::string directory_;
  std::atomic<std::uint64_t> sequence_{0};
};

}  // namespace dpopfleet::realm

#endif  // DPOPFLEET_ENGINE_REALM_OUTBOX_H_
