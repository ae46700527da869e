#include "shelf_service.hpp"

#include <algorithm>

namespace shelf {

using svckit::Result;

boost::asio::awaitable<Result<Book>> ShelfService::add_book(const svckit::Context&, const AddBookRequest& r) {
  if (r.title().empty()) co_return svckit::invalid_argument("title is empty");
  std::lock_guard lock(mu_);
  Book b;
  b.set_id(next_id_++);
  b.set_title(r.title());
  *b.mutable_tags() = r.tags();
  b.set_genre(r.genre());
  books_[b.id()] = b;
  co_return b;
}

boost::asio::awaitable<Result<Book>> ShelfService::get_book(const svckit::Context&, const GetBookRequest& r) {
  std::lock_guard lock(mu_);
  auto it = books_.find(r.id());
  if (it == books_.end()) co_return svckit::not_found("no book " + std::to_string(r.id()));
  co_return it->second;
}

boost::asio::awaitable<Result<BookPage>> ShelfService::list_books(const svckit::Context&, const ListBooksRequest& r) {
  std::lock_guard lock(mu_);
  BookPage page;
  const int limit = r.limit() > 0 ? r.limit() : 100;
  for (auto it = books_.upper_bound(r.after()); it != books_.end(); ++it) {
    const Book& b = it->second;
    const bool tagged = std::all_of(r.tags().begin(), r.tags().end(), [&](const std::string& t) {
      return std::find(b.tags().begin(), b.tags().end(), t) != b.tags().end();
    });
    if (!tagged || (r.genre() && b.genre() != r.genre()) || !b.title().starts_with(r.title_prefix())) continue;
    if (page.books_size() == limit) {
      page.set_next_after(page.books(limit - 1).id());
      break;
    }
    *page.add_books() = b;
  }
  co_return page;
}

boost::asio::awaitable<Result<Book>> ShelfService::update_book(const svckit::Context&, const UpdateBookRequest& r) {
  std::lock_guard lock(mu_);
  auto it = books_.find(r.id());
  if (it == books_.end()) co_return svckit::not_found("no book " + std::to_string(r.id()));
  if (r.has_title()) it->second.set_title(r.title());
  co_return it->second;
}

boost::asio::awaitable<Result<Deleted>> ShelfService::delete_book(const svckit::Context&, const GetBookRequest& r) {
  std::lock_guard lock(mu_);
  Deleted d;
  d.set_deleted(books_.erase(r.id()) > 0);
  co_return d;
}

boost::asio::awaitable<Result<PingReply>> ShelfService::ping(const svckit::Context&, const PingRequest& r) {
  PingReply p;
  p.set_pong("pong " + r.note());
  co_return p;
}

std::shared_ptr<Service> make_service() { return std::make_shared<ShelfService>(); }

}  // namespace shelf
