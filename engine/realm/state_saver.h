// StateSaver runs a save function on a background thread after changes, at most once per
// kInterval, so a burst of revocations costs a few state file writes instead of one rewrite
// and fsync each. A change therefore reaches the file up to kInterval plus one write after
// it was made; Flush, called when the realm stops, writes what is still pending.
//
// Used only by realm.cpp. Thread safety: MarkDirty may be called from any thread, Flush
// from one thread at a time.

#ifndef DPOPFLEET_ENGINE_REALM_STATE_SAVER_H_
#define DPOPFLEET_ENGINE_REALM_STATE_SAVER_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

namespace dpopfleet::realm {

class StateSaver {
 public:
  static constexpr std::chrono::milliseconds kInterval{200};

  explicit StateSaver(std::function<void()> save) : save_(std::move(save)), thread_([this] { Run(); }) {}
  ~StateSaver() { Flush(); }

  StateSaver(const StateSaver&) = delete;
  StateSaver& operator=(const StateSaver&) = delete;

  // MarkDirty schedules a save.
  void MarkDirty() {
    {
      std::lock_guard lock(mutex_);
      dirty_ = true;
    }
    wake_.notify_one();
  }

  // Flush stops the thread, then saves if a change is still pending. It is idempotent.
  void Flush() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();

    bool pending = false;
    {
      std::lock_guard lock(mutex_);
      pending = std::exchange(dirty_, false);
    }
    if (pending) save_();
  }

 private:
  void Run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return dirty_ || stopping_; });
      if (stopping_) return;
      dirty_ = false;
      lock.unlock();
      save_();
      lock.lock();
      wake_.wait_for(lock, kInterval, [this] { return stopping_; });
    }
  }

  std::function<void()> save_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool dirty_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace dpopfleet::realm

#endif  // DPOPFLEET_ENGINE_REALM_STATE_SAVER_H_
