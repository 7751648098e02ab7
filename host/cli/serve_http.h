#pragma once
// The HTTP transport under `senti serve`: cpp-httplib's request parsing and routing, with the
// connection handling replaced where Debian's httplib 0.11 falls short for a server that must hold
// up against slow or many clients:
//   - the listening socket is made here: SO_REUSEADDR but never SO_REUSEPORT (httplib's default
//     sets both, which let a second server share the port and split the requests between two
//     models), a real listen backlog, and an error that names the port and the reason;
//   - every connection socket gets TCP_NODELAY (a response is written as headers, then body: with
//     Nagle's algorithm the body waited for the client's delayed ACK, ~40 ms a keep-alive request);
//   - a whole request must arrive within `request_timeout_s` of its first byte (of a worker
//     taking the connection, for its first request), and a response be written within the same
//     time: a client trickling one byte at a time no longer holds a worker forever (httplib's
//     timeouts are per read, so each byte restarted them);
//   - a fixed pool of `threads` workers, one connection each, and at most `max_pending` accepted
//     connections waiting for one; beyond that a connection is answered 503 at once and closed.
//     A kept-alive connection gives its worker up when other connections are waiting: it is closed
//     after the current response (with "Connection: close"), or after a second idle between
//     requests, so idle clients cannot starve new ones.
//   - a request whose Content-Length or Transfer-Encoding is bad (host/cli/serve_framing.h) is
//     answered at once (400, 411 or 501, JSON body) and its connection closed, instead of httplib
//     misreading the body or waiting for it until the timeout.
// Routes, handlers and the error handler are httplib's (Server::Get, ...), set by the caller; the
// pre- and post-routing handlers belong to this class.
#include <atomic>
#include <string>

#include <httplib.h>

namespace senti::cli {

struct HttpOptions {
  int threads = 64;                       // connection workers
  int max_pending = 256;                  // accepted connections waiting for a worker
  int request_timeout_s = 10;             // to receive one request, and to send its response
  int keep_alive_s = 5;                   // idle wait for the next request on a connection
  int max_requests_per_connection = 100;  // then the connection is closed
  int backlog = 1024;                     // listen(2) backlog (the kernel may cap it: somaxconn)
};

class ConnectionPool;

class HttpServer : public httplib::Server {
 public:
  explicit HttpServer(HttpOptions options);
  ~HttpServer() override;

  // Binds and listens on host:port (0: any free port); returns the port. UsageError naming
  // host:port and the reason (in use, no permission, not an address of this machine) otherwise.
  int bind_listener(const std::string& host, int port);
  // Runs httplib's accept loop on the bound listener until stop(); false when it failed.
  bool serve();

  // True while an error response is being written for a request whose deadline passed (on the
  // thread handling it): the error handler turns it into a 408.
  static bool request_timed_out();

  const HttpOptions& options() const { return options_; }

 private:
  // Called by httplib's accept loop (through its task queue) for every accepted connection.
  bool process_and_close_socket(socket_t sock) override;
  bool stopping() const { return svr_sock_ == INVALID_SOCKET; }
  bool others_waiting() const;
  // Waits until `sock` has bytes (or the peer closed); false on timeout, server stop, or (when
  // `yield_to_others`) another connection waiting for a worker after a second of idling.
  bool wait_for_request(socket_t sock, int timeout_ms, bool yield_to_others) const;

  HttpOptions options_;
  bool served_ = false;  // serve() was called: the accept loop owns (and closes) the listener
  std::atomic<ConnectionPool*> pool_{nullptr};  // alive while the accept loop runs
};

}  // namespace senti::cli
