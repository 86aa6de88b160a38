// An in-order queue of work per device, drained by one native worker thread. Ops return to JS as soon as
// they are queued; reads wait for the stream to reach them. A task that throws poisons what it writes,
// and a task whose inputs are poisoned passes the failure on without running.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/device.h"
#include "core/storage.h"

namespace ds {

struct Task {
  std::string name;
  std::function<void()> fn;
  std::vector<StoragePtr> reads;   // kept alive until the task has run; their failures propagate
  std::vector<StoragePtr> writes;  // kept alive until the task has run; poisoned if the task fails
};

class Stream {
 public:
  // `on_thread_start` runs once on the worker (the CUDA backend binds its device there).
  explicit Stream(std::string name, std::function<void()> on_thread_start = {});
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  void enqueue(Task task);
  // Blocks the caller until every task queued so far has run.
  void synchronize();
  // Finishes the queue and stops the worker; later enqueues run inline on the caller.
  void shutdown();
  int64_t pending() const;

 private:
  void loop();
  static void run_task(Task& t);

  std::string name_;
  std::function<void()> on_thread_start_;
  mutable std::mutex mu_;
  std::condition_variable cv_work_, cv_done_;
  std::deque<Task> queue_;
  int64_t submitted_ = 0, completed_ = 0;
  bool stopping_ = false, stopped_ = false;
  std::thread worker_;
};

// The stream of a device, created on first use. CPU always exists; other device types register a factory.
Stream& device_stream(Device d);
void set_stream_factory(DeviceType type, Stream* (*factory)(int index));
// Drains and stops every stream (module teardown).
void shutdown_streams();
void synchronize_all_streams();

}  // namespace ds
