// An open-loop HTTP load generator: request i is due at start + i/rate whatever happened to the others, and
// its latency is measured from that due time, so a server stall shows as the latency of every request that
// fell due during it (a closed-loop tool like wrk waits for answers before sending and hides them). Each
// request posts a new email ({"email":"<prefix>-<i>@example.com"}) to the target, the bug tracker's
// POST /create by default.
//
// One thread; --cpu pins it and --realtime puts it above the services on that CPU, so a send is not late
// because a service thread held the CPU (what lateness is left is printed as max_lag_us). Connections are
// kept alive and opened as needed: a due request goes to an idle connection, else to a new one (up to
// --connections), else it waits in a backlog — its latency keeps counting.
//
// A 2xx answer is a success. Prints one line: "rate=R sent=N ok=K errors=E p50_us=… p99_us=… p999_us=… max_us=…" (achieved rate =
// answered requests per second of schedule).
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

struct Options {
  std::string host = "127.0.0.1";
  unsigned short port = 0;
  std::string target = "/create";
  std::string prefix = "ol";
  double rate = 1000;
  double seconds = 10;
  int connections = 512;
  int cpu = -1;
  bool realtime = false;  // SCHED_FIFO: a service thread on the generator's CPU cannot delay a send
  double timeout = 5;  // a request not answered in this long is an error
  std::string timeline;  // when set, "due_ms latency_ms" per answered request is written there
};

class Generator {
 public:
  explicit Generator(const Options& o) : o_(o), endpoint_(asio::ip::make_address(o.host), o.port) {}

  void run() {
    asio::co_spawn(io_, schedule(), asio::detached);
    io_.run();
  }

  void report() {
    // The generator's own lateness.
    long long worst_lag_us = 0;
    for (std::size_t i = 0; i < lags_us_.size(); ++i) worst_lag_us = std::max(worst_lag_us, lags_us_[i]);
    if (!o_.timeline.empty()) {
      std::FILE* f = std::fopen(o_.timeline.c_str(), "w");
      if (f == nullptr) std::perror(o_.timeline.c_str());
      for (std::size_t i = 0; f != nullptr && i < dues_us_.size(); ++i)
        std::fprintf(f, "%.3f %.3f %.3f\n", dues_us_[i] / 1e3, latencies_us_[i] / 1e3, lags_us_[i] / 1e3);
      if (f != nullptr) std::fclose(f);
    }
    std::sort(latencies_us_.begin(), latencies_us_.end());
    auto at = [&](double q) -> long long {
      if (latencies_us_.empty()) return 0;
      return latencies_us_[std::min(latencies_us_.size() - 1, static_cast<std::size_t>(q * latencies_us_.size()))];
    };
    std::printf("rate=%.0f sent=%lld ok=%zu errors=%lld p50_us=%lld p99_us=%lld p999_us=%lld max_us=%lld connections=%d max_lag_us=%lld\n",
                static_cast<double>(latencies_us_.size()) / o_.seconds, sent_, latencies_us_.size(), errors_, at(0.50),
                at(0.99), at(0.999), latencies_us_.empty() ? 0 : latencies_us_.back(), opened_, worst_lag_us);
  }

 private:
  // A connection parked while idle: its timer is cancelled to hand it the next due time.
  struct Connection {
    asio::steady_timer wake;
    Clock::time_point due{};
    bool backlogged = false;  // the request waited for a connection (its lag is the server's doing)
    explicit Connection(asio::io_context& io) : wake(io, Clock::time_point::max()) {}
  };

  asio::awaitable<void> schedule() {
    const auto start = start_ = Clock::now();
    const long long total = static_cast<long long>(o_.rate * o_.seconds);
    const auto period = std::chrono::duration<double>(1.0 / o_.rate);
    asio::steady_timer timer(io_);
    for (long long i = 0; i < total; ++i) {
      const auto due = start + std::chrono::duration_cast<Clock::duration>(period * i);
      if (due > Clock::now()) {
        timer.expires_at(due);
        co_await timer.async_wait(asio::use_awaitable);
      }
      dispatch(due);
    }
    // Let what is in flight answer (bounded by the per-request timeout), then stop the idle connections.
    timer.expires_after(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o_.timeout)) + 1s);
    while (in_flight_ > 0 && Clock::now() < timer.expiry()) {
      asio::steady_timer tick(io_, 10ms);
      co_await tick.async_wait(asio::use_awaitable);
    }
    done_ = true;
    for (auto* c : idle_) c->wake.cancel();
    idle_.clear();
  }

  void dispatch(Clock::time_point due) {
    ++sent_;
    ++in_flight_;
    if (!idle_.empty()) {
      Connection* c = idle_.back();
      idle_.pop_back();
      c->due = due;
      c->wake.cancel();
    } else if (opened_ < o_.connections) {
      ++opened_;
      asio::co_spawn(io_, connection(due), asio::detached);
    } else {
      backlog_.push_back(due);
    }
  }

  asio::awaitable<void> connection(Clock::time_point due) {
    Connection self(io_);
    self.due = due;
    beast::tcp_stream stream(io_);
    bool connected = false;
    beast::flat_buffer buffer;
    const auto timeout = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o_.timeout));
    for (;;) {
      const long long n = ++emails_;
      bool ok = false;
      Clock::duration lag{};
      try {
        if (!connected) {
          stream.expires_after(timeout);
          co_await stream.async_connect(endpoint_, asio::use_awaitable);
          stream.socket().set_option(tcp::no_delay(true));
          connected = true;
        }
        http::request<http::string_body> req{http::verb::post, o_.target, 11};
        req.set(http::field::host, o_.host);
        req.set(http::field::content_type, "application/json");
        req.body() = "{\"email\":\"" + o_.prefix + "-" + std::to_string(n) + "@example.com\"}";
        req.prepare_payload();
        stream.expires_after(timeout);
        lag = Clock::now() - self.due;
        co_await http::async_write(stream, req, asio::use_awaitable);
        http::response<http::string_body> res;
        co_await http::async_read(stream, buffer, res, asio::use_awaitable);
        ok = res.result_int() / 100 == 2;
        if (!ok) note_error("HTTP " + std::to_string(res.result_int()) + " " + res.body().substr(0, 200));
        if (!res.keep_alive()) connected = false;
      } catch (const std::exception& e) {
        note_error(e.what());
        connected = false;
      }
      if (!connected) {
        beast::error_code ignored;
        stream.socket().close(ignored);
        buffer.clear();
      }
      --in_flight_;
      if (ok) {
        latencies_us_.push_back(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - self.due).count());
        dues_us_.push_back(std::chrono::duration_cast<std::chrono::microseconds>(self.due - start_).count());
        lags_us_.push_back(self.backlogged ? -1 : std::chrono::duration_cast<std::chrono::microseconds>(lag).count());
      } else
        ++errors_;
      if (!backlog_.empty()) {
        self.due = backlog_.front();
        self.backlogged = true;
        backlog_.pop_front();
        continue;
      }
      if (done_) break;
      self.backlogged = false;
      idle_.push_back(&self);
      self.wake.expires_at(Clock::time_point::max());
      boost::system::error_code ec;
      co_await self.wake.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (done_) break;
    }
  }

  // The first error is printed to stderr (what went wrong, not only that something did).
  void note_error(const std::string& what) {
    if (first_error_.empty()) std::cerr << "open_loop: first error: " << (first_error_ = what) << "\n";
  }

  Options o_;
  std::string first_error_;
  tcp::endpoint endpoint_;
  asio::io_context io_{1};
  std::vector<Connection*> idle_;
  std::deque<Clock::time_point> backlog_;
  // Per answered request, in answer order. A lag is how late the generator itself sent (-1 for a request
  // that waited for a free connection: that wait is the server's doing): a large lag means the stall was the
  // generator's (not scheduled), not the server's.
  std::vector<long long> latencies_us_, dues_us_, lags_us_;
  Clock::time_point start_;
  long long sent_ = 0, errors_ = 0, in_flight_ = 0, emails_ = 0;
  int opened_ = 0;
  bool done_ = false;
};

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"Open-loop HTTP load: POST a new email to TARGET at a fixed rate, latency from each request's due time"};
  app.add_option("--host", o.host, "server address (IP)");
  app.add_option("--port", o.port, "server port")->required();
  app.add_option("--target", o.target, "request target");
  app.add_option("--prefix", o.prefix, "email prefix (unique per run: users refuses an email it has)");
  app.add_option("--rate", o.rate, "requests per second")->check(CLI::Range(1.0, 1e6));
  app.add_option("--seconds", o.seconds, "length of the schedule")->check(CLI::Range(0.1, 3600.0));
  app.add_option("--connections", o.connections, "most connections opened")->check(CLI::Range(1, 60000));
  app.add_option("--timeout", o.timeout, "seconds before an unanswered request is an error")->check(CLI::Range(0.01, 600.0));
  app.add_option("--cpu", o.cpu, "pin the generator to this CPU");
  app.add_flag("--realtime", o.realtime, "run at real-time priority (SCHED_FIFO 1; needs root), so sends are on time");
  app.add_option("--timeline", o.timeline, "write \"due_ms latency_ms\" of every answered request to this file (where stalls are)");
  CLI11_PARSE(app, argc, argv);
  if (o.cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(o.cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) {
      std::perror("sched_setaffinity");
      return 1;
    }
  }
  if (o.realtime) {
    sched_param p{};
    p.sched_priority = 1;
    if (sched_setscheduler(0, SCHED_FIFO, &p) != 0) {
      std::perror("sched_setscheduler(SCHED_FIFO)");
      return 1;
    }
  }
  Generator g(o);
  g.run();
  g.report();
}
