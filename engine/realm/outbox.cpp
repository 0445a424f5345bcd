// Outbox files and lookup.

#include "outbox.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <vector>

#include <simdjson.h>

#include "dpopfleet/json_writer.h"

namespace dpopfleet::realm {

std::string OutboxMessage::ToJson() const {
  return JsonObjectWriter()
      .String("to", to)
      .String("subject", subject)
      .String("body", body)
      .String("verification_code", verification_code)
      .String("enrollment_id", enrollment_id)
      .String("realm", realm)
      .Int("sent_at_millis", sent_at_millis)
      .Finish();
}

Status Outbox::Send(const OutboxMessage& message) {
  char name[64];
  std::snprintf(name, sizeof(name), "%013lld-%08llu.json",
                static_cast<long long>(message.sent_at_millis),
                static_cast<unsigned long long>(sequence_.fetch_add(1) + 1));
  std::string path = directory_ + "/" + name;
  std::string text = message.ToJson() + "\n";

  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return Error(ErrorCode::kIoError,
                 "cannot create outbox file '" + path + "'; check that the outbox directory exists and is writable");
  }
  ssize_t written = ::write(fd, text.data(), text.size());
  ::close(fd);
  if (written != static_cast<ssize_t>(text.size())) {
    return Error(ErrorCode::kIoError, "cannot write outbox file '" + path + "'; check free space");
  }
  return {};
}

std::optional<OutboxMessage> Outbox::Latest(std::string_view email) const {
  std::vector<std::filesystem::path> files;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(directory_, error)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end(), std::greater<>());

  simdjson::dom::parser parser;
  for (const auto& file : files) {
    simdjson::padded_string text;
    simdjson::dom::element root;
    if (simdjson::padded_string::load(file.string()).get(text) || parser.parse(text).get(root)) {
      continue;
    }
    std::string_view to, subject, body, code, enrollment_id, realm;
    std::int64_t sent_at = 0;
    if (root["to"].get(to) || to != email) continue;
    if (root["subject"].get(subject) || root["body"].get(body) ||
        root["verification_code"].get(code) || root["enrollment_id"].get(enrollment_id) ||
        root["realm"].get(realm) || root["sent_at_millis"].get(sent_at)) {
      continue;
    }
    return OutboxMessage{std::string(to),   std::string(subject),       std::string(body),
                         std::string(code), std::string(enrollment_id), std::string(realm),
                         sent_at};
  }
  return std::nullopt;
}

}  // namespace dpopfleet::realm
