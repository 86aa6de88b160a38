// Measures the CPU's FP32 multiply-add peak with the active ISA's register-resident loop
// (native/cpu/isa/fma_peak.cpp) on `threads` plain threads started together, for about `millis`
// milliseconds. Plain threads rather than the op thread pool: the figure must not include the pool's
// hand-off, and the measurement must not queue behind ops on the CPU stream.
#include "napi/peak.h"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "cpu/isa_table.h"

namespace ds::napi {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

class PeakWorker : public Napi::AsyncWorker {
 public:
  PeakWorker(Napi::Env env, int threads, double millis)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), threads_(threads), millis_(millis) {}

  Napi::Promise promise() { return deferred_.Promise(); }

  void Execute() override {
    const auto& k = ds::cpu::fma_peak_kernel();
    float sink = 0;
    // Calibrate on one thread: grow the count until a run takes 20 ms, then scale to the requested time.
    int64_t iters = 1 << 16;
    for (;;) {
      auto t0 = Clock::now();
      k.run(iters, &sink);
      double s = seconds_since(t0);
      if (s > 0.02) {
        iters = int64_t(double(iters) * (millis_ / 1000.0) / s) + 1;
        break;
      }
      iters *= 4;
    }
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> pool;
    std::vector<float> sinks(threads_);
    std::vector<int64_t> flops(threads_);
    for (int t = 0; t < threads_; ++t) {
      pool.emplace_back([&, t] {
        ready.fetch_add(1);
        while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
        flops[t] = k.run(iters, &sinks[t]);
      });
    }
    while (ready.load() < threads_) std::this_thread::yield();
    auto t0 = Clock::now();
    go.store(true, std::memory_order_release);
    for (auto& th : pool) th.join();
    seconds_ = seconds_since(t0);
    double total = 0;
    for (int64_t f : flops) total += double(f);
    gflops_ = total / seconds_ / 1e9;
    isa_ = k.isa;
  }

  void OnOK() override {
    Napi::Env env = Env();
    auto o = Napi::Object::New(env);
    o.Set("gflops", gflops_);
    o.Set("threads", threads_);
    o.Set("isa", isa_);
    o.Set("seconds", seconds_);
    deferred_.Resolve(o);
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  int threads_;
  double millis_;
  double gflops_ = 0;
  double seconds_ = 0;
  std::string isa_;
};

Napi::Value MeasureCpuPeak(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int threads = info[0].As<Napi::Number>().Int32Value();
  double millis = info[1].As<Napi::Number>().DoubleValue();
  if (threads < 1 || threads > 1024 || !(millis > 0 && millis <= 60000)) {
    throw Napi::RangeError::New(env, "measureCpuPeak: threads must be in 1..1024 and millis in (0, 60000], got " +
                                         std::to_string(threads) + " and " + std::to_string(millis));
  }
  auto* w = new PeakWorker(env, threads, millis);
  Napi::Promise p = w->promise();
  w->Queue();
  return p;
}

}  // namespace

void init_peak(Napi::Env env, Napi::Object exports) {
  exports.Set("measureCpuPeak", Napi::Function::New(env, MeasureCpuPeak));
}

}  // namespace ds::napi
