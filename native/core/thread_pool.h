// Intra-op parallelism: a fixed pool of threads that split an index range. The calling thread (a stream
// worker) takes a share too. Nested or concurrent calls run serially on the caller rather than wait.
#pragma once
#include <cstdint>
#include <functional>

namespace ds {

// fn(begin, end) is called on disjoint chunks covering [begin, end); chunks hold at least `grain` indices.
void parallel_for(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& fn);

// Threads used by parallel_for, the caller included. Defaults to DEEPSCOPE_NUM_THREADS or the core count.
int num_threads();
void set_num_threads(int n);

}  // namespace ds
