#include <mutex>

#include <absl/synchronization/mutex.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/impl/codegen/proto_utils.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include "credentials.hpp"
#include "runtime.hpp"
#include "svckit/transport/grpc/client.hpp"
#include "svckit/transport/grpc/message.hpp"

namespace svckit::grpc {

namespace detail {
void init_runtime() {
  static std::once_flag once;
  std::call_once(once, [] { absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore); });
}
std::shared_ptr<::grpc::ChannelCredentials> channel_credentials(const tls::Credentials* creds) {
  if (!creds) return ::grpc::InsecureChannelCredentials();
  ::grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = creds->ca_pem;
  ssl.pem_cert_chain = creds->cert_pem;
  ssl.pem_private_key = creds->key_pem;
  return ::grpc::SslCredentials(ssl);
}
}  // namespace detail

Status parse_message(const ::grpc::ByteBuffer& in, google::protobuf::MessageLite& out) {
  ::grpc::ByteBuffer copy(in);  // shares the slices; Deserialize consumes its argument
  auto st = ::grpc::SerializationTraits<google::protobuf::MessageLite>::Deserialize(&copy, &out);
  if (!st.ok()) return invalid_argument("cannot parse " + out.GetTypeName() + ": " + st.error_message());
  return {};
}

::grpc::ByteBuffer serialize_message(const google::protobuf::MessageLite& m) {
  ::grpc::ByteBuffer bb;
  bool own = false;
  (void)::grpc::SerializationTraits<google::protobuf::MessageLite>::Serialize(m, &bb, &own);
  return bb;
}

std::shared_ptr<::grpc::Channel> make_channel(const std::string& target, ChannelOptions opts) {
  detail::init_runtime();
  ::grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  args.SetMaxReceiveMessageSize(opts.max_message_bytes);
  args.SetMaxSendMessageSize(opts.max_message_bytes);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, static_cast<int>(opts.keepalive_time.count()));
  if (opts.tls && !opts.tls->server_name.empty()) args.SetSslTargetNameOverride(opts.tls->server_name);
  return ::grpc::CreateCustomChannel(target, detail::channel_credentials(opts.tls.get()), args);
}

}  // namespace svckit::grpc
