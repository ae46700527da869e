// svckit/sd/nacos/registry.hpp — Alibaba Nacos as the registry, scheme nacos:// (component svckit::nacos).
//
//   nacos://[user:password@]host:8848[,host:8848…][/nacos][?namespace=ID][&group=DEFAULT_GROUP][&cluster=DEFAULT][&poll=10s]
//         [&ca=/path[&cert=/path&key=/path]]
//
// Talks to Nacos's naming HTTP API (v1 open API) under the path given (default /nacos), in the namespace
// (default the public one), group and cluster given; services are named "<group>@@<service>" as Nacos's own
// clients name them. With credentials, it logs in (POST /v1/auth/login) and sends the accessToken with every
// request, logging in again when the server refuses it (403: expired, revoked) and before it runs out. HTTPS
// with tls=1 (the system's CAs) or ca=/path (that CA), plus cert= and key= for a client certificate.
//
// A registrar registers an ephemeral instance (POST /v1/ns/instance: ip, port, weight — svckit's, at most
// 10000 — and metadata: svckit's zone, version, transport, tls, plus Nacos's preserved heartbeat keys so the
// server marks it unhealthy after the registrar's TTL without a beat and deletes it after twice that), beats
// every third of the TTL (PUT /v1/ns/instance/beat; code 20404 means the server forgot it: registered again)
// and deregisters it on shutdown (DELETE /v1/ns/instance).
//
// An instancer asks /v1/ns/instance/list?healthyOnly=true every `poll` (default 10 s, Nacos's own cache
// time; from 100ms): the enabled, healthy instances with a positive weight. The balancer's weight is Nacos's
// × 100 (0.5 and 1.0 keep their ratio). While no server answers, the last set stays and the status says
// so; errors are retried from 100 ms, doubling up to `poll`. Several hosts: the next is tried when one fails.
// Malformed instances are logged and skipped.
#pragma once

#include <memory>

#include "svckit/sd/registry.hpp"

namespace svckit::sd::nacos {

/// The factory registered for "nacos". Throws std::invalid_argument for an unknown query parameter or a
/// malformed value.
std::shared_ptr<Registry> open_registry(const RegistryUrl& url);

}  // namespace svckit::sd::nacos
