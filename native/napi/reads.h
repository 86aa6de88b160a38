// Reading tensors back to JS: read() resolves a promise when the device stream reaches it; readSync()
// blocks the JS thread until then (scripts); readInto() and writeFrom() copy a byte range between a
// tensor and a caller's array (slices, for streaming large files). A poisoned storage rejects/throws with the failing op's name.
#pragma once
#include <napi.h>

namespace ds::napi {
// Registers read/readSync and opens this environment's read channel.
void init_reads(Napi::Env env, Napi::Object exports);
// Drains every stream and closes the channel: no read of this environment is delivered afterwards.
void close_reads(Napi::Env env);
}  // namespace ds::napi
