// Private to svckit: gRPC credentials from svckit::tls credentials, for every gRPC channel svckit opens
// (the transport's make_channel and the etcd client).
#pragma once

#include <memory>

#include <grpcpp/security/credentials.h>

#include "svckit/tls.hpp"

namespace svckit::grpc::detail {

/// TLS with creds' CAs (empty: gRPC's default roots) and client certificate (if any); null: plaintext.
std::shared_ptr<::grpc::ChannelCredentials> channel_credentials(const tls::Credentials* creds);

}  // namespace svckit::grpc::detail
