// The baselines svckit is measured against: the fastest plain servers we could write for the same work.
#pragma once

#include <cstdint>

namespace bench {
/// A bare Boost.Beast coroutine HTTP server (one io_context per thread, SO_REUSEPORT) answering
/// POST /uppercase {"s":...} with {"v":...}, parsing and serialising with Boost.JSON. Blocks forever.
void run_bare_beast(std::uint16_t port, int threads);
/// A bare gRPC async (CompletionQueue) server with the generated AsyncService, handling each call inline
/// on its queue thread. Blocks forever.
void run_bare_grpc(std::uint16_t port, int cq_threads);
}  // namespace bench
