#include "core/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>
#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

namespace ds {
namespace {

int default_threads() {
  if (const char* env = std::getenv("DEEPSCOPE_NUM_THREADS")) {
    int n = std::atoi(env);
    if (n > 0) return n;
  }
  unsigned hc = std::thread::hardware_concurrency();
  return hc ? int(hc) : 1;
}

// Before sleeping on a condition variable, a waiting thread polls for about 100-300 µs: the gaps between
// the parallel regions of one op (im2col segments, GEMM panels) and between the ops of a forward are
// shorter than a futex wake-up on a VM, which at batch 1 made two threads no faster than one.
constexpr int kSpin = 1 << 13;

inline void cpu_relax() {
#if defined(__x86_64__) || defined(_M_X64)
  _mm_pause();
#else
  std::this_thread::yield();
#endif
}

class Pool {
 public:
  Pool() : size_(default_threads()) { spawn(); }

  int size() const { return size_; }

  void resize(int n) {
    std::lock_guard<std::mutex> call(call_mu_);
    stop_workers();
    size_ = std::max(1, n);
    spawn();
  }

  void run(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
    int64_t n = end - begin;
    if (n <= 0) return;
    grain = std::max<int64_t>(1, grain);
    int64_t max_chunks = (n + grain - 1) / grain;
    std::unique_lock<std::mutex> call(call_mu_, std::try_to_lock);
    if (!call.owns_lock() || in_pool_ || size_ == 1 || max_chunks == 1) {
      fn(begin, end);
      return;
    }
    int64_t chunks = std::min<int64_t>(max_chunks, size_);
    {
      std::lock_guard<std::mutex> lock(mu_);
      job_ = &fn;
      begin_ = begin;
      end_ = end;
      chunks_ = chunks;
      // remaining_ before next_: a worker still leaving the previous job's work() may take a chunk as soon
      // as next_ is reset, and must find the count already set.
      remaining_.store(chunks);
      next_.store(0);
      generation_.fetch_add(1);
    }
    cv_work_.notify_all();
    in_pool_ = true;
    work();
    in_pool_ = false;
    for (int i = 0; i < kSpin && remaining_.load() != 0; ++i) cpu_relax();
    std::unique_lock<std::mutex> lock(mu_);
    cv_done_.wait(lock, [&] { return remaining_.load() == 0; });
    job_ = nullptr;
  }

 private:
  void spawn() {
    stop_ = false;
    for (int i = 1; i < size_; ++i) threads_.emplace_back([this] { worker(); });
  }

  void stop_workers() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_work_.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

  // Takes chunks until none are left.
  void work() {
    for (;;) {
      int64_t c = next_.fetch_add(1);
      if (c >= chunks_) return;
      int64_t n = end_ - begin_;
      int64_t lo = begin_ + n * c / chunks_;
      int64_t hi = begin_ + n * (c + 1) / chunks_;
      (*job_)(lo, hi);
      if (remaining_.fetch_sub(1) == 1) {
        std::lock_guard<std::mutex> lock(mu_);
        cv_done_.notify_all();
      }
    }
  }

  void worker() {
    in_pool_ = true;
    uint64_t seen = 0;
    for (;;) {
      bool posted = false;
      for (int i = 0; i < kSpin && !posted; ++i) {
        posted = generation_.load() != seen;
        if (!posted) cpu_relax();
      }
      {
        std::unique_lock<std::mutex> lock(mu_);
        if (!posted) cv_work_.wait(lock, [&] { return stop_ || (generation_.load() != seen && job_ != nullptr); });
        if (stop_) return;
        seen = generation_.load();
      }
      work();
    }
  }

  int size_;
  std::vector<std::thread> threads_;
  std::mutex call_mu_;  // one parallel region at a time
  std::mutex mu_;
  std::condition_variable cv_work_, cv_done_;
  const std::function<void(int64_t, int64_t)>* job_ = nullptr;
  int64_t begin_ = 0, end_ = 0, chunks_ = 0;
  std::atomic<int64_t> next_{0}, remaining_{0};
  std::atomic<uint64_t> generation_{0};
  bool stop_ = false;
  static thread_local bool in_pool_;
};

thread_local bool Pool::in_pool_ = false;

// Leaked on purpose (see stream.cpp): no static destructor may join these threads after main returns.
Pool& pool() {
  static Pool* p = new Pool();
  return *p;
}

}  // namespace

void parallel_for(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
  pool().run(begin, end, grain, fn);
}

int num_threads() { return pool().size(); }
void set_num_threads(int n) { pool().resize(n); }

}  // namespace ds
