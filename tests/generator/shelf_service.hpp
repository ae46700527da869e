// An in-memory bookshelf behind the generated shelf bindings (tests/generator/shelf.proto).
#pragma once

#include <map>
#include <mutex>

#include "shelf.svckit.h"

namespace shelf {

class ShelfService final : public Service {
 public:
  boost::asio::awaitable<svckit::Result<Book>> add_book(const svckit::Context&, const AddBookRequest&) override;
  boost::asio::awaitable<svckit::Result<Book>> get_book(const svckit::Context&, const GetBookRequest&) override;
  boost::asio::awaitable<svckit::Result<BookPage>> list_books(const svckit::Context&, const ListBooksRequest&) override;
  boost::asio::awaitable<svckit::Result<Book>> update_book(const svckit::Context&, const UpdateBookRequest&) override;
  boost::asio::awaitable<svckit::Result<Deleted>> delete_book(const svckit::Context&, const GetBookRequest&) override;
  boost::asio::awaitable<svckit::Result<PingReply>> ping(const svckit::Context&, const PingRequest&) override;

 private:
  std::mutex mu_;
  std::map<std::int64_t, Book> books_;
  std::int64_t next_id_ = 1;
};

}  // namespace shelf
