// svckit/sd/eureka/registry.hpp — Netflix Eureka as the registry, scheme eureka:// (component svckit::eureka).
//
//   eureka://[user:password@]host:8761[,host:8761…][/eureka][?poll=10s][&ca=/path[&cert=/path&key=/path]]
//
// Talks to Eureka's REST API under the path given (default /eureka, Spring Cloud's; Netflix's own server
// uses /eureka/v2). Credentials, when given, go as HTTP Basic auth. HTTPS with tls=1 (the system's CAs) or
// ca=/path (that CA), plus cert= and key= for a server that asks for a client certificate.
//
// A registrar registers the instance (POST /apps/<SERVICE>, the name upper-cased as Eureka stores it;
// instanceId "<host>:<service>:<port>", status UP, ipAddr/hostName and port — securePort when the instance
// speaks TLS — svckit's metadata, a lease of the registrar's TTL renewed every third of it), renews it (PUT
// /apps/<SERVICE>/<id>; a 404 means the server forgot it: registered again) and deletes it on shutdown. A
// process that dies stops renewing; the server evicts it once the lease has run out (a real Eureka server
// runs its eviction every 60 s and stops evicting when it believes itself partitioned, "self-preservation").
//
// An instancer asks GET /apps/<SERVICE> every `poll` (Eureka has no watch; default 10 s, from 100ms): the
// instances with status UP, at ipAddr (else hostName). 404 is an empty set (Eureka drops an application with
// no instances). While no server answers, the last set stays and the status says so; errors are retried
// from 100 ms, doubling up to `poll`. Several hosts: the next is tried when one fails. Malformed instances
// are logged and skipped.
#pragma once

#include <memory>

#include "svckit/sd/registry.hpp"

namespace svckit::sd::eureka {

/// The factory registered for "eureka". Throws std::invalid_argument for an unknown query parameter or a
/// malformed value.
std::shared_ptr<Registry> open_registry(const RegistryUrl& url);

}  // namespace svckit::sd::eureka
