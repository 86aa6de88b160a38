#include "core/stream.h"

#include <exception>
#include <map>

#include "core/error.h"

namespace ds {

Stream::Stream(std::string name, std::function<void()> on_thread_start)
    : name_(std::move(name)), on_thread_start_(std::move(on_thread_start)) {
  worker_ = std::thread([this] { loop(); });
}

Stream::~Stream() { shutdown(); }

void Stream::run_task(Task& t) {
  for (const auto& s : t.reads) {
    if (s && s->has_error()) {
      std::string upstream = s->error();
      for (const auto& w : t.writes)
        if (w) w->set_error(upstream);
      return;
    }
  }
  try {
    t.fn();
  } catch (const std::exception& e) {
    std::string msg = t.name + ": " + e.what();
    for (const auto& w : t.writes)
      if (w) w->set_error(msg);
  } catch (...) {
    for (const auto& w : t.writes)
      if (w) w->set_error(t.name + ": unknown failure");
  }
}

void Stream::enqueue(Task task) {
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (!stopped_) {
      queue_.push_back(std::move(task));
      ++submitted_;
      cv_work_.notify_one();
      return;
    }
  }
  run_task(task);
}

void Stream::loop() {
  if (on_thread_start_) {
    try {
      on_thread_start_();
    } catch (...) {
    }
  }
  for (;;) {
    Task t;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_work_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      t = std::move(queue_.front());
      queue_.pop_front();
    }
    run_task(t);
    // Release the storages before announcing completion, so memory figures are settled once a read resolves.
    t = Task();
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++completed_;
    }
    cv_done_.notify_all();
  }
}

void Stream::synchronize() {
  std::unique_lock<std::mutex> lock(mu_);
  int64_t target = submitted_;
  cv_done_.wait(lock, [&] { return completed_ >= target || stopped_; });
}

int64_t Stream::pending() const {
  std::lock_guard<std::mutex> lock(mu_);
  return submitted_ - completed_;
}

void Stream::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return;
    stopping_ = true;
    cv_work_.notify_all();
  }
  if (worker_.joinable()) worker_.join();
  std::lock_guard<std::mutex> lock(mu_);
  stopped_ = true;
  cv_done_.notify_all();
}

namespace {

struct StreamTable {
  std::mutex mu;
  std::map<std::pair<int, int>, Stream*> streams;
  Stream* (*factories[kNumDeviceTypes])(int) = {};
};

// Leaked on purpose: streams are stopped explicitly at module teardown, never by static destructors whose
// order relative to the thread pool is unspecified.
StreamTable& table() {
  static StreamTable* t = new StreamTable();
  return *t;
}

}  // namespace

void set_stream_factory(DeviceType type, Stream* (*factory)(int)) {
  std::lock_guard<std::mutex> lock(table().mu);
  table().factories[int(type)] = factory;
}

Stream& device_stream(Device d) {
  auto& t = table();
  std::lock_guard<std::mutex> lock(t.mu);
  auto key = std::make_pair(int(d.type), d.index);
  auto it = t.streams.find(key);
  if (it != t.streams.end()) return *it->second;
  Stream* s = nullptr;
  if (d.type == DeviceType::CPU) {
    s = new Stream("cpu");
  } else {
    auto f = t.factories[int(d.type)];
    if (!f) fail("device " + d.str() + " is not available in this build");
    s = f(d.index);
  }
  t.streams[key] = s;
  return *s;
}

void synchronize_all_streams() {
  std::vector<Stream*> all;
  {
    std::lock_guard<std::mutex> lock(table().mu);
    for (auto& kv : table().streams) all.push_back(kv.second);
  }
  for (auto* s : all) s->synchronize();
}

void shutdown_streams() {
  std::vector<Stream*> all;
  {
    std::lock_guard<std::mutex> lock(table().mu);
    for (auto& kv : table().streams) all.push_back(kv.second);
  }
  for (auto* s : all) s->shutdown();
}

}  // namespace ds
