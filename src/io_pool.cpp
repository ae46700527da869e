#include "svckit/io_pool.hpp"

#include <pthread.h>

#include <string>

namespace svckit {

IoPool::IoPool(std::size_t threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  for (std::size_t i = 0; i < threads; ++i) {
    contexts_.push_back(std::make_unique<Context>());
    guards_.emplace_back(contexts_.back()->get_executor());
  }
}

IoPool::~IoPool() {
  stop();
  join();
  // Run what is already ready before any context is destroyed. Work left in one context may complete into
  // another (a gRPC handler resumed on the pool after its completion queue closed); torn down instead, its
  // destruction posts into a context that may already be gone. The threads are joined: this runs here,
  // one handler at a time. Bounded, and poll() never waits for what is not ready.
  for (int round = 0; round < 100; ++round) {
    std::size_t ran = 0;
    for (auto& ctx : contexts_) {
      ctx->restart();
      try {
        ran += ctx->poll();
      } catch (...) {  // a detached coroutine's exception: nothing to report it to in a destructor
        ran += 1;
      }
    }
    if (ran == 0) break;
  }
  // Then shut every context down before destroying any. Shutting one down destroys its pending handlers,
  // and a handler can own an object of another context (a coroutine on lane 0 holding a socket of lane 1)
  // whose destructor calls into that context's services. Destroyed one by one, as the vector would, a
  // context could already be gone by then; shut down but not yet destroyed, its services still answer.
  for (auto& ctx : contexts_) ctx->shut_down();
  guards_.clear();  // they refer to the contexts
  contexts_.clear();
}

boost::asio::io_context& IoPool::next() {
  return *contexts_[next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size()];
}

void IoPool::start() {
  if (!threads_.empty()) return;
  for (auto& ctx : contexts_) {
    ctx->restart();  // in case the pool was stopped before
    threads_.emplace_back([c = ctx.get(), name = "io-" + std::to_string(threads_.size())] {
      pthread_setname_np(pthread_self(), name.c_str());  // visible in top -H, perf and gdb
      c->run();
    });
  }
}

void IoPool::release() {
  for (auto& g : guards_) g.reset();
}

void IoPool::stop() {
  for (auto& ctx : contexts_) ctx->stop();
}

void IoPool::join() {
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

}  // namespace svckit
