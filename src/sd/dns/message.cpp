#include "message.hpp"

#include <arpa/inet.h>

#include <cctype>
#include <stdexcept>

namespace svckit::sd::dns {

namespace {

constexpr std::size_t kMaxMessage = 65535;
constexpr std::size_t kMaxRecords = 512;
constexpr int kMaxPointers = 128;
constexpr std::size_t kMaxName = 253;

void put16(std::string& out, std::uint16_t v) {
  out += static_cast<char>(v >> 8);
  out += static_cast<char>(v & 0xff);
}

// Reads big-endian integers and names from a message, refusing to read past its end.
class Reader {
 public:
  explicit Reader(std::string_view m) : m_(m) {}
  bool u8(std::uint8_t& v) {
    if (at_ + 1 > m_.size()) return false;
    v = static_cast<std::uint8_t>(m_[at_++]);
    return true;
  }
  bool u16(std::uint16_t& v) {
    std::uint8_t hi = 0, lo = 0;
    if (!u8(hi) || !u8(lo)) return false;
    v = static_cast<std::uint16_t>(hi << 8 | lo);
    return true;
  }
  bool u32(std::uint32_t& v) {
    std::uint16_t hi = 0, lo = 0;
    if (!u16(hi) || !u16(lo)) return false;
    v = static_cast<std::uint32_t>(hi) << 16 | lo;
    return true;
  }
  bool skip(std::size_t n) {
    if (at_ + n > m_.size()) return false;
    at_ += n;
    return true;
  }
  std::size_t at() const { return at_; }
  std::string_view bytes(std::size_t from, std::size_t n) const { return m_.substr(from, n); }

  // A (possibly compressed) name at the current position, lower-cased, labels joined by dots.
  bool name(std::string& out) {
    out.clear();
    std::size_t pos = at_;
    bool jumped = false;
    for (int pointers = 0;;) {
      if (pos >= m_.size()) return false;
      const auto len = static_cast<std::uint8_t>(m_[pos]);
      if (len == 0) {
        if (!jumped) at_ = pos + 1;
        return true;
      }
      if ((len & 0xc0) == 0xc0) {  // a pointer: must point backwards, and only so many times
        if (pos + 1 >= m_.size() || ++pointers > kMaxPointers) return false;
        const std::size_t target = static_cast<std::size_t>(len & 0x3f) << 8 | static_cast<std::uint8_t>(m_[pos + 1]);
        if (target >= pos) return false;
        if (!jumped) at_ = pos + 2;
        jumped = true;
        pos = target;
        continue;
      }
      if (len & 0xc0) return false;  // 0x40/0x80: extended label types, unused
      if (pos + 1 + len > m_.size()) return false;
      if (!out.empty()) out += '.';
      for (std::size_t i = 0; i < len; ++i)
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(m_[pos + 1 + i])));
      if (out.size() > kMaxName) return false;
      pos += 1 + len;
    }
  }

 private:
  std::string_view m_;
  std::size_t at_ = 0;
};

Status bad(const std::string& why) { return invalid_argument("malformed DNS answer: " + why); }

// One resource record; the RDATA of the types we use is read, any other skipped.
Result<Record> read_record(Reader& r) {
  Record rec;
  std::uint16_t cls = 0, rdlength = 0;
  if (!r.name(rec.name) || !r.u16(rec.type) || !r.u16(cls) || !r.u32(rec.ttl) || !r.u16(rdlength))
    return bad("a record runs past the end");
  const std::size_t start = r.at(), end = start + rdlength;
  switch (rec.type) {
    case static_cast<std::uint16_t>(RecordType::srv):
      if (!r.u16(rec.priority) || !r.u16(rec.weight) || !r.u16(rec.port) || !r.name(rec.target)) return bad("an SRV record is cut short");
      break;
    case static_cast<std::uint16_t>(RecordType::cname):
      if (!r.name(rec.target)) return bad("a CNAME record is cut short");
      break;
    case static_cast<std::uint16_t>(RecordType::a):
    case static_cast<std::uint16_t>(RecordType::aaaa): {
      const bool v4 = rec.type == static_cast<std::uint16_t>(RecordType::a);
      if (rdlength != (v4 ? 4 : 16) || !r.skip(rdlength)) return bad("an address record has the wrong length");
      char text[INET6_ADDRSTRLEN] = {};
      auto raw = r.bytes(start, rdlength);
      ::inet_ntop(v4 ? AF_INET : AF_INET6, raw.data(), text, sizeof text);
      rec.address = text;
      break;
    }
    default:
      if (!r.skip(rdlength)) return bad("a record's data runs past the end");
  }
  if (r.at() != end) return bad("a record's length does not match its data");
  return rec;
}

}  // namespace

std::string make_query(std::uint16_t id, std::string_view name, RecordType type) {
  while (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() > kMaxName) throw std::invalid_argument("DNS name \"" + std::string(name.substr(0, 64)) + "\" is empty or too long");
  std::string out;
  put16(out, id);
  put16(out, 0x0100);  // a standard query, recursion desired
  put16(out, 1);       // one question
  put16(out, 0);
  put16(out, 0);
  put16(out, 1);  // one additional record: EDNS0's OPT
  for (std::size_t from = 0; from <= name.size();) {
    auto dot = name.find('.', from);
    auto label = name.substr(from, dot == std::string_view::npos ? std::string_view::npos : dot - from);
    if (label.empty() || label.size() > 63) throw std::invalid_argument("DNS name \"" + std::string(name.substr(0, 64)) + "\" has an empty or over-63-byte label");
    out += static_cast<char>(label.size());
    out += label;
    if (dot == std::string_view::npos) break;
    from = dot + 1;
  }
  out += '\0';
  put16(out, static_cast<std::uint16_t>(type));
  put16(out, 1);  // IN
  out += '\0';    // OPT: root name
  put16(out, 41);
  put16(out, 4096);  // UDP payload we accept
  put16(out, 0);
  put16(out, 0);  // extended rcode, version, flags
  put16(out, 0);  // no options
  return out;
}

Result<Answer> parse_answer(std::string_view bytes) {
  if (bytes.size() > kMaxMessage) return bad("longer than 64 KiB");
  Reader r(bytes);
  Answer a;
  std::uint16_t flags = 0, qd = 0, an = 0, ns = 0, ar = 0;
  if (!r.u16(a.id) || !r.u16(flags) || !r.u16(qd) || !r.u16(an) || !r.u16(ns) || !r.u16(ar)) return bad("shorter than a header");
  if (!(flags & 0x8000)) return bad("not a response");
  a.truncated = flags & 0x0200;
  a.rcode = flags & 0x000f;
  if (std::size_t(an) + ns + ar > kMaxRecords) return bad("more than 512 records");
  std::string qname;
  for (std::uint16_t i = 0; i < qd; ++i)
    if (!r.name(qname) || !r.skip(4)) return bad("a question runs past the end");
  for (int section = 0; section < 3; ++section) {
    const std::uint16_t count = section == 0 ? an : section == 1 ? ns : ar;
    for (std::uint16_t i = 0; i < count; ++i) {
      auto rec = read_record(r);
      if (!rec.ok()) return rec.status();
      if (section == 0) a.answers.push_back(std::move(*rec));
      if (section == 2) a.additional.push_back(std::move(*rec));
    }
  }
  return a;
}

}  // namespace svckit::sd::dns
