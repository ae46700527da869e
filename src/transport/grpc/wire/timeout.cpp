#include "timeout.hpp"

#include <algorithm>
#include <cstdint>

namespace svckit::grpc::wire {

std::optional<std::chrono::nanoseconds> parse_grpc_timeout(std::string_view value) {
  if (value.size() < 2 || value.size() > 9) return std::nullopt;
  std::int64_t n = 0;
  for (char c : value.substr(0, value.size() - 1)) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');  // at most 8 digits: no overflow
  }
  using namespace std::chrono;
  switch (value.back()) {
    case 'H': return duration_cast<nanoseconds>(hours(std::min<std::int64_t>(n, 2'562'047)));  // int64 nanoseconds end at 292 years
    case 'M': return duration_cast<nanoseconds>(minutes(n));
    case 'S': return duration_cast<nanoseconds>(seconds(n));
    case 'm': return duration_cast<nanoseconds>(milliseconds(n));
    case 'u': return duration_cast<nanoseconds>(microseconds(n));
    case 'n': return nanoseconds(n);
    default: return std::nullopt;
  }
}

std::string format_grpc_timeout(std::chrono::nanoseconds d) {
  std::int64_t n = std::max<std::int64_t>(d.count(), 1);
  // Each unit up: divide, rounding up, until the figure fits in 8 digits.
  static constexpr struct {
    char unit;
    std::int64_t per_next;
  } units[] = {{'n', 1000}, {'u', 1000}, {'m', 1000}, {'S', 60}, {'M', 60}, {'H', 1}};
  for (const auto& u : units) {
    if (n <= 99'999'999 || u.unit == 'H') return std::to_string(std::min<std::int64_t>(n, 99'999'999)) + u.unit;
    n = (n + u.per_next - 1) / u.per_next;
  }
  return "99999999H";
}

}  // namespace svckit::grpc::wire
