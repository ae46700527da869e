#include "framing.hpp"

#include <algorithm>

namespace svckit::grpc::wire {

Status MessageReader::feed(std::string_view bytes) {
  if (!error_.ok()) return error_;
  while (!bytes.empty()) {
    if (!prefix_done_) {
      const std::size_t n = std::min(bytes.size(), sizeof prefix_ - prefix_len_);
      std::copy_n(bytes.data(), n, prefix_ + prefix_len_);
      prefix_len_ += n;
      bytes.remove_prefix(n);
      if (prefix_len_ < sizeof prefix_) break;
      if (prefix_[0] != 0)
        return error_ = Status(StatusCode::Unimplemented, "compressed gRPC message, but no grpc-encoding was agreed");
      want_ = (std::size_t{prefix_[1]} << 24) | (std::size_t{prefix_[2]} << 16) | (std::size_t{prefix_[3]} << 8) | prefix_[4];
      if (want_ > max_)
        return error_ = Status(StatusCode::ResourceExhausted, "gRPC message of " + std::to_string(want_) +
                                                                  " bytes is over the limit of " + std::to_string(max_));
      prefix_done_ = true;
      current_.clear();
      current_.reserve(want_);
      have_ = 0;
    }
    const std::size_t n = std::min(bytes.size(), want_ - have_);
    current_.append(bytes.data(), n);
    have_ += n;
    bytes.remove_prefix(n);
    if (have_ == want_) {
      waiting_ += current_.size();
      done_.push_back(std::move(current_));
      current_ = std::string();
      prefix_done_ = false;
      prefix_len_ = 0;
      have_ = 0;
    }
  }
  return Status();
}

std::optional<std::string> MessageReader::take() {
  if (next_ == done_.size()) return std::nullopt;
  std::string m = std::move(done_[next_++]);
  if (next_ == done_.size()) {  // all taken: the vector does not grow with a long stream
    done_.clear();
    next_ = 0;
  }
  waiting_ -= m.size();
  return m;
}

std::string frame_message(std::string_view message) {
  std::string out(5 + message.size(), '\0');
  const auto n = static_cast<std::uint32_t>(message.size());
  out[1] = static_cast<char>(n >> 24);
  out[2] = static_cast<char>(n >> 16);
  out[3] = static_cast<char>(n >> 8);
  out[4] = static_cast<char>(n);
  std::copy(message.begin(), message.end(), out.begin() + 5);
  return out;
}

}  // namespace svckit::grpc::wire
