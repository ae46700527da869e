#include "svckit/trace/zipkin.hpp"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <charconv>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "../codec/json_escape.hpp"
#include "svckit/address.hpp"
#include "svckit/log.hpp"
#include "svckit/metrics/registry.hpp"
#include "svckit/transport/http/client.hpp"

namespace svckit::trace {

namespace asio = boost::asio;

namespace {

// Eight decimal digits of x < 10^8, most significant first in memory, as byte values 0..9 (not yet
// ASCII): the number is split into halves, quarters, then digits in parallel lanes of one 64-bit word,
// dividing by 100 and 10 with multiply-and-shift (exact for these ranges). ~20 instructions instead of a
// loop of divisions.
std::uint64_t decimal_digits8(std::uint32_t x) {
  static_assert(std::endian::native == std::endian::little, "decimal_digits8 assumes a little-endian machine");
  std::uint64_t v = (x / 10000) | (static_cast<std::uint64_t>(x % 10000) << 32);  // 2 lanes of 0..9999
  const std::uint64_t hundreds = ((v * 10486) >> 20) & 0x0000007f0000007fULL;      // lane / 100
  v = hundreds | ((v - hundreds * 100) << 16);                                       // 4 lanes of 0..99
  const std::uint64_t tens = ((v * 103) >> 10) & 0x000f000f000f000fULL;              // lane / 10
  return tens | ((v - tens * 10) << 8);                                              // 8 lanes of 0..9
}

// Writes a non-negative v below 10^16 (any timestamp in µs before the year 2286) without leading zeros,
// storing whole 8-byte words: the caller has 16 bytes of room. Returns the end.
char* write_decimal(char* out, std::uint64_t v) {
  constexpr std::uint64_t kAscii = 0x3030303030303030ULL;
  const auto hi = static_cast<std::uint32_t>(v / 100000000), lo = static_cast<std::uint32_t>(v % 100000000);
  const std::uint64_t first = decimal_digits8(hi != 0 ? hi : lo);
  // Leading zero digits are zero bytes at the low end; keep at least one digit (v == 0).
  const int skip = first == 0 ? 7 : std::countr_zero(first) / 8;
  const std::uint64_t shifted = (first + kAscii) >> (8 * skip);
  std::memcpy(out, &shifted, 8);
  out += 8 - skip;
  if (hi != 0) {
    const std::uint64_t second = decimal_digits8(lo) + kAscii;
    std::memcpy(out, &second, 8);
    out += 8;
  }
  return out;
}

// Writes JSON through a raw pointer into room reserved up front (see bound()): no capacity check, no
// strlen and no allocation per piece — ~1.6x faster than appending to a std::string (trace_bench).
class JsonWriter {
 public:
  explicit JsonWriter(char* p) : p_(p) {}
  char* end() const { return p_; }

  template <std::size_t N>
  void lit(const char (&s)[N]) {  // a string literal, without its terminating NUL
    std::memcpy(p_, s, N - 1);
    p_ += N - 1;
  }
  void raw(std::string_view s) {
    std::memcpy(p_, s.data(), s.size());
    p_ += s.size();
  }
  void ch(char c) { *p_++ = c; }
  void integer(std::int64_t v) {
    if (v >= 0 && v < 10'000'000'000'000'000) p_ = write_decimal(p_, static_cast<std::uint64_t>(v));
    else p_ = std::to_chars(p_, p_ + 20, v).ptr;  // negative or far future: only from hand-built spans
  }
  void hex_id(std::uint64_t id) {
    write_span_id_hex(id, p_);
    p_ += 16;
  }
  void quoted(std::string_view s) {  // a JSON string: quotes around the escaped content
    *p_++ = '"';
    p_ = json::detail::write_escaped(p_, s);
    *p_++ = '"';
  }
  // Zipkin's remoteEndpoint: ipv4 or ipv6 plus port; a host name is given as the peer's serviceName.
  void endpoint(std::string_view address) {
    const auto colon = address.rfind(':');
    std::string_view host = address.substr(0, colon == std::string_view::npos ? 0 : colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    unsigned port = 0;
    const auto digits = colon == std::string_view::npos ? std::string_view() : address.substr(colon + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (host.empty() || digits.empty() || ec != std::errc() || end != digits.data() + digits.size() || port > 65535) {
      lit("{}");  // not host:port
      return;
    }
    const bool v6 = host.find(':') != std::string_view::npos;
    const bool v4 = !v6 && std::all_of(host.begin(), host.end(), [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
    if (v6) lit("{\"ipv6\":");
    else if (v4) lit("{\"ipv4\":");
    else lit("{\"serviceName\":");
    quoted(host);
    lit(",\"port\":");
    integer(port);
    ch('}');
  }

 private:
  char* p_;
};

// Writes into `out` through a JsonWriter given `room` bytes (an upper bound), then trims `out` to what was
// written.
template <class Write>
void encode_into(std::string& out, std::size_t room, Write&& write) {
  out.resize(room);
  JsonWriter w(out.data());
  write(w);
  out.resize(static_cast<std::size_t>(w.end() - out.data()));
}

// The most bytes span `s` can take (every string character escaped as \u00XX is 6 bytes).
std::size_t bound(const SpanData& s, std::size_t local_endpoint) {
  std::size_t strings = s.name.size() + s.remote.size();
  for (const auto& [k, v] : s.tags) strings += k.size() + v.size() + 6;  // quotes, colon, comma
  return 384 + local_endpoint + 6 * strings;  // 384: the literals, ids and numbers (~260 at most)
}

struct Url {
  std::string host;
  std::uint16_t port = 9411;
  std::string path = "/api/v2/spans";
};

Url parse_url(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme))
    throw std::invalid_argument("zipkin url must start with http:// (got \"" + std::string(url) + "\")");
  auto rest = url.substr(kScheme.size());
  Url u;
  auto slash = rest.find('/');
  if (slash != std::string_view::npos) {
    u.path = std::string(rest.substr(slash));
    rest = rest.substr(0, slash);
  }
  if (rest.empty()) throw std::invalid_argument("zipkin url has no host: \"" + std::string(url) + "\"");
  const bool has_port = rest.back() != ']' && rest.find(':') != std::string_view::npos &&
                        (rest.front() == '[' || rest.find(':') == rest.rfind(':'));
  if (has_port) {
    auto [h, p] = split_host_port(rest);
    u.host = h;
    u.port = p;
  } else {
    u.host = std::string(rest.front() == '[' ? rest.substr(1, rest.size() - 2) : rest);
  }
  return u;
}

}  // namespace

std::string zipkin_url_error(std::string_view url) {
  try {
    parse_url(url);
    return "";
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
}

namespace {

// `,"localEndpoint":{"serviceName":"..."}` — the same for every span of a process.
std::string local_endpoint_json(std::string_view service) {
  std::string local;
  encode_into(local, 64 + 6 * service.size(), [&](JsonWriter& w) {
    w.lit(",\"localEndpoint\":{\"serviceName\":");
    w.quoted(service);
    w.ch('}');
  });
  return local;
}

// One span as a Zipkin v2 JSON object; `w` has room for bound(s, local.size()) bytes.
void write_span(JsonWriter& w, const SpanData& s, std::string_view local) {
  w.lit("{\"traceId\":\"");
  w.hex_id(s.context.trace_hi);
  w.hex_id(s.context.trace_lo);
  w.lit("\",\"id\":\"");
  w.hex_id(s.context.span_id);
  w.ch('"');
  if (s.parent_id != 0) {
    w.lit(",\"parentId\":\"");
    w.hex_id(s.parent_id);
    w.ch('"');
  }
  if (s.kind == SpanKind::Server) w.lit(",\"kind\":\"SERVER\",\"name\":");
  else w.lit(",\"kind\":\"CLIENT\",\"name\":");
  w.quoted(s.name);
  w.lit(",\"timestamp\":");
  w.integer(s.start_us);
  w.lit(",\"duration\":");
  w.integer(s.duration_us);
  w.raw(local);
  if (!s.remote.empty()) {
    w.lit(",\"remoteEndpoint\":");
    // A thread's CLIENT spans mostly call the same instance, and a SERVER span's caller is often the
    // previous one's (a kept-alive connection): the last encoding per kind is kept and reused.
    struct Cached {
      std::string remote, json;
    };
    thread_local Cached last[2];
    Cached& c = last[s.kind == SpanKind::Server ? 0 : 1];
    if (c.remote != s.remote) {
      encode_into(c.json, 64 + 6 * s.remote.size(), [&](JsonWriter& e) { e.endpoint(s.remote); });
      c.remote = s.remote;
    }
    w.raw(c.json);
  }
  if (!s.tags.empty()) {
    w.lit(",\"tags\":{");
    for (std::size_t t = 0; t < s.tags.size(); ++t) {
      if (t) w.ch(',');
      w.quoted(s.tags[t].first);
      w.ch(':');
      w.quoted(s.tags[t].second);
    }
    w.ch('}');
  }
  w.ch('}');
}

}  // namespace

std::string to_zipkin_json(const std::vector<SpanData>& spans, std::string_view service) {
  const std::string local = local_endpoint_json(service);
  std::size_t room = 2;
  for (const auto& s : spans) room += bound(s, local.size());
  std::string out;
  encode_into(out, room, [&](JsonWriter& w) {
    w.ch('[');
    for (std::size_t i = 0; i < spans.size(); ++i) {
      if (i) w.ch(',');
      write_span(w, spans[i], local);
    }
    w.ch(']');
  });
  return out;
}

struct ZipkinExporter::Impl {
  Url url;
  ZipkinOptions opts;
  log::Logger log{"zipkin"};
  const std::uint64_t id = next_id();  // what a thread's cached Local is keyed by (an address may be reused)

  // Spans wait already encoded, in the POST bodies they will be sent in ("[" and objects separated by ",";
  // the "]" is added when it is sent).
  struct Batch {
    std::string body;
    std::size_t spans = 0;
  };
  // Each exporting thread fills a batch of its own: appending a span takes only that thread's lock, which
  // no other core touches except the sender collecting a partial batch once per flush_interval. One lock
  // shared by every request thread cost a lock handover and a cache-line transfer per span.
  struct Local {
    std::mutex mu;
    Batch open;
    std::size_t credits = 0;           // spans this thread may still add: reserved from max_queue in chunks
    std::size_t last_batch_bytes = 0;  // a new batch reserves about this much, so it rarely regrows
    bool dead = false;                 // its thread is gone and it is empty: the sender forgets it
  };

  std::mutex mu;                    // everything below
  std::condition_variable wake;     // the sender: a batch is full, a flush was asked for, or stop
  std::condition_variable drained;  // flush(): what was exported before it is sent
  std::vector<std::shared_ptr<Local>> locals;
  std::deque<Batch> full;           // batches ready to send: full ones, and partial ones collected
  std::size_t reserved = 0;         // spans in `full` and in Locals, plus unused credits: at most max_queue
  std::uint64_t flush_asked = 0;    // flush() calls so far
  std::uint64_t flush_done = 0;     // flush() calls the sender has answered
  bool stop = false;
  bool collector_failing = false;   // log once per outage, not once per batch

  std::atomic<std::uint64_t> exported_total{0};
  std::atomic<std::uint64_t> dropped_total{0};
  metrics::Counter& exported_metric = metrics::default_registry()
                                          .counter("svckit_trace_spans_exported_total", "Spans a Zipkin collector accepted.")
                                          .with({});
  metrics::Family<metrics::Counter>& dropped_metric = metrics::default_registry().counter(
      "svckit_trace_spans_dropped_total", "Spans dropped before export: queue full or collector unreachable.", {"reason"});
  metrics::Counter& dropped_full = dropped_metric.with({"queue_full"});
  metrics::Counter& dropped_failed = dropped_metric.with({"export_failed"});

  std::thread thread;

  static std::uint64_t next_id() {
    static std::atomic<std::uint64_t> n{0};
    return ++n;
  }

  // This thread's Local for this exporter, registered on first use.
  Local& local_for_this_thread() {
    struct Cached {
      std::uint64_t exporter = 0;
      std::shared_ptr<Local> local;
    };
    thread_local Cached cached;
    if (cached.exporter != id) {
      auto l = std::make_shared<Local>();
      std::lock_guard lock(mu);
      locals.push_back(l);
      cached = {id, std::move(l)};
    }
    return *cached.local;
  }

  // Reserves a chunk of the queue for `l` (under l.mu): false when the queue is full or stopping.
  bool reserve(Local& l) {
    const std::size_t chunk = std::clamp<std::size_t>(opts.max_queue / 64, 1, 64);
    std::lock_guard lock(mu);
    if (stop) return false;
    l.credits = std::min(chunk, opts.max_queue - reserved);
    reserved += l.credits;
    return l.credits > 0;
  }

  // Appends one encoded span to `l` (under l.mu); false when the queue is full.
  bool append(Local& l, std::string_view json) {
    if (l.credits == 0 && !reserve(l)) return false;
    --l.credits;
    Batch& b = l.open;
    if (b.spans == 0) {
      b.body.reserve(std::max(l.last_batch_bytes + l.last_batch_bytes / 8, json.size() + 2));
      b.body += '[';
    } else {
      b.body += ',';
    }
    b.body += json;
    if (++b.spans >= opts.max_batch) {
      l.last_batch_bytes = b.body.size();
      std::lock_guard lock(mu);
      full.push_back(std::exchange(b, Batch{}));
      wake.notify_one();
    }
    return true;
  }

  // Moves every thread's partial batch to `full` and gives back unused credits. Takes each Local's lock
  // without holding mu (exporting threads take mu under their Local's lock).
  void collect_partial_batches(std::unique_lock<std::mutex>& lock) {
    const auto snapshot = locals;
    lock.unlock();
    for (const auto& l : snapshot) {
      Batch b;
      std::size_t unused;
      {
        std::lock_guard local_lock(l->mu);
        if (l->open.spans > 0) l->last_batch_bytes = l->open.body.size();
        b = std::exchange(l->open, Batch{});
        unused = std::exchange(l->credits, 0);
        l->dead = b.spans == 0 && l.use_count() == 2;  // held only by `locals` and `snapshot`
      }
      lock.lock();
      reserved -= unused;
      if (b.spans > 0) full.push_back(std::move(b));
      lock.unlock();
    }
    lock.lock();
    std::erase_if(locals, [](const auto& l) { return l->dead; });
  }

  void drop_everything_queued() {  // under mu
    std::size_t spans = 0;
    for (const auto& b : full) spans += b.spans;
    full.clear();
    reserved -= spans;
    dropped_total.fetch_add(spans);
    dropped_failed.inc(static_cast<double>(spans));
  }

  void run() {
    pthread_setname_np(pthread_self(), "zipkin");
    asio::io_context io;
    http::Client client(url.host, url.port, {.timeout = opts.timeout, .max_idle = 1});
    std::unique_lock lock(mu);
    auto next_collect = std::chrono::steady_clock::now() + opts.flush_interval;
    for (;;) {
      wake.wait_until(lock, next_collect, [&] { return stop || flush_asked != flush_done || !full.empty(); });
      const std::uint64_t asked = flush_asked;
      const bool collect = stop || asked != flush_done || std::chrono::steady_clock::now() >= next_collect;
      if (collect) {
        collect_partial_batches(lock);
        next_collect = std::chrono::steady_clock::now() + opts.flush_interval;
      }
      while (!full.empty()) {
        // Stopping while the collector is down: do not hold up shutdown by a timeout per batch.
        if (stop && collector_failing) {
          drop_everything_queued();
          break;
        }
        Batch batch = std::move(full.front());
        full.pop_front();
        lock.unlock();
        batch.body += ']';
        post(io, client, std::move(batch.body), batch.spans);
        lock.lock();
        reserved -= batch.spans;
      }
      if (collect) {
        flush_done = asked;
        drained.notify_all();
      }
      if (stop) return;
    }
  }

  // Sends one batch; blocks this (the exporter's own) thread until it is accepted, refused or timed out.
  void post(asio::io_context& io, http::Client& client, std::string body, std::size_t spans) {
    Status result;
    // An unsampled parent: the exporter's own HTTP call must not produce spans to export.
    Context ctx;
    ctx.set_span(new_trace(false));
    ctx.set_timeout(opts.timeout);
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          auto res = co_await client.request(ctx, http::Verb::post, url.path, std::move(body));
          result = res.ok() ? http::status_of(*res) : res.status();
        },
        asio::detached);
    io.run();
    io.restart();
    if (result.ok()) {
      exported_total.fetch_add(spans);
      exported_metric.inc(static_cast<double>(spans));
      if (collector_failing) log.info("zipkin collector reachable again", {{"url", url.host}});
      collector_failing = false;
      return;
    }
    dropped_total.fetch_add(spans);
    dropped_failed.inc(static_cast<double>(spans));
    if (!collector_failing)
      log.warn("cannot export spans; dropping them until the collector answers",
               {{"collector", url.host + ":" + std::to_string(url.port)}, {"error", result.message()},
                {"spans", static_cast<std::int64_t>(spans)}});
    collector_failing = true;
  }
};

ZipkinExporter::ZipkinExporter(std::string_view url, ZipkinOptions opts) : impl_(std::make_shared<Impl>()) {
  impl_->url = parse_url(url);
  impl_->opts = opts;
  impl_->thread = std::thread([impl = impl_.get()] { impl->run(); });
}

ZipkinExporter::~ZipkinExporter() {
  {
    std::lock_guard lock(impl_->mu);
    impl_->stop = true;
  }
  impl_->wake.notify_one();
  impl_->thread.join();
}

void ZipkinExporter::export_span(SpanData&& span) {
  // Encoded here, on the request's thread, while the span is still in this core's cache (on the
  // exporter's thread the same work cost about twice as much), into a per-thread scratch buffer, then
  // appended to this thread's own batch.
  thread_local const TracerOptions* seen = nullptr;  // installed options are never freed: a stable key
  thread_local std::string local;
  thread_local std::string scratch;
  if (const auto& o = tracer_options(); &o != seen) {
    local = local_endpoint_json(o.service_name);
    seen = &o;
  }
  const std::size_t room = bound(span, local.size());
  if (scratch.size() < room) scratch.resize(room);
  JsonWriter w(scratch.data());
  write_span(w, span, local);
  const std::string_view json(scratch.data(), static_cast<std::size_t>(w.end() - scratch.data()));
  Impl::Local& l = impl_->local_for_this_thread();
  {
    std::lock_guard lock(l.mu);
    if (impl_->append(l, json)) return;
  }
  impl_->dropped_total.fetch_add(1, std::memory_order_relaxed);
  impl_->dropped_full.inc();
}

void ZipkinExporter::flush(std::chrono::milliseconds timeout) {
  std::unique_lock lock(impl_->mu);
  const std::uint64_t mine = ++impl_->flush_asked;
  impl_->wake.notify_one();
  impl_->drained.wait_for(lock, timeout, [&] { return impl_->flush_done >= mine; });
}

std::uint64_t ZipkinExporter::exported() const { return impl_->exported_total.load(); }
std::uint64_t ZipkinExporter::dropped() const { return impl_->dropped_total.load(); }

}  // namespace svckit::trace
