// The balancers svckit ships (builtin_plugins.cpp registers them by name). Private to the library.
#pragma once

#include <memory>

#include "svckit/sd/balancer.hpp"

namespace svckit::sd::balancers {

std::unique_ptr<Balancer> make_round_robin();
std::unique_ptr<Balancer> make_random();
std::unique_ptr<Balancer> make_p2c();
std::unique_ptr<Balancer> make_weighted();
std::unique_ptr<Balancer> make_consistent_hash();

}  // namespace svckit::sd::balancers
