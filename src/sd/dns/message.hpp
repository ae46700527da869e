// DNS messages as the dns+srv:// backend needs them (RFC 1035, SRV: RFC 2782, AAAA: RFC 3596, EDNS0: RFC
// 6891): a query to build, and the records of an answer to read. Pure functions: what a resolver (or anyone
// answering in its place) sends is hostile bytes, and this is fuzzed (tests/fuzz/dns_message_fuzz.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "svckit/result.hpp"

namespace svckit::sd::dns {

enum class RecordType : std::uint16_t { a = 1, cname = 5, aaaa = 28, srv = 33 };

/// A query for `name` (dots between labels, no trailing dot needed) of `type`, recursion desired, with an
/// EDNS0 record offering 4096-byte UDP answers. Throws std::invalid_argument for a name DNS cannot carry
/// (an empty or over-63-byte label, over 253 bytes in all).
std::string make_query(std::uint16_t id, std::string_view name, RecordType type);

struct Record {
  std::string name;           // lower case, no trailing dot
  std::uint16_t type = 0;     // RecordType or any other
  std::uint32_t ttl = 0;
  // SRV
  std::uint16_t priority = 0, weight = 0, port = 0;
  std::string target;         // SRV target, CNAME alias (lower case, no trailing dot)
  std::string address;        // A/AAAA as text ("10.0.0.1", "::1")
};

struct Answer {
  std::uint16_t id = 0;
  std::uint8_t rcode = 0;     // 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, …
  bool truncated = false;
  std::vector<Record> answers, additional;  // the answer and additional sections (authority skipped)
};

/// Parses a response; the error says what is malformed. At most 64 KiB, 512 records, 128 compression
/// pointers per name (each must point backwards), 253-byte names.
Result<Answer> parse_answer(std::string_view bytes);

}  // namespace svckit::sd::dns
