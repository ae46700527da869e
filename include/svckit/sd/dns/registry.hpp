// svckit/sd/dns/registry.hpp — DNS SRV records as the registry, scheme dns+srv:// (part of svckit::sd).
//
//   dns+srv://example.internal[?resolver=10.0.0.2:53]             a service's instances: _<service>._tcp.example.internal
//   dns+srv://_notificator._tcp.example.internal[?resolver=…]     one SRV name, whatever service is asked for
//
// An instancer looks the SRV name up (UDP, EDNS0 4096-byte answers, two tries of 1 s; over TCP when the answer
// comes back truncated), then the A and AAAA records of targets the answer's additional section did not
// resolve, and again when the smallest TTL runs out (clamped to 1 s..5 min). Priority and weight are honoured (go-kit's dnssrv ignores both): only the
// lowest-priority targets are instances, each with its SRV weight (0 counts as 1) for the weighted balancer;
// one instance per address of a target. NXDOMAIN empties the set; a timeout, SERVFAIL or a malformed answer
// keeps the last set and is the status, retried after 1 s doubling to 30 s. The resolver is the URL's, else
// the first nameserver of /etc/resolv.conf. Registering only logs: DNS records are written by whoever owns
// the zone.
#pragma once

#include <memory>

#include "svckit/sd/registry.hpp"

namespace svckit::sd::dns {

/// The factory registered for "dns+srv". Throws std::invalid_argument for a name DNS cannot carry, a
/// resolver that is not ip:port, or another query parameter.
std::shared_ptr<Registry> open_registry(const RegistryUrl& url);

}  // namespace svckit::sd::dns
