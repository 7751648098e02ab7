#include "host/cli/serve_http.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "host/cli/serve_api.h"
#include "host/cli/serve_framing.h"
#include "kernels/common/error.h"

namespace senti::cli {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kPollSliceMs = 50;  // how soon a waiting connection notices a stop or a queue
// An idle kept-alive connection gives its worker up to a waiting one only after this long idle:
// closing it races with a request the client may be sending, which then fails, so a client
// that is merely between two requests keeps its connection.
constexpr auto kYieldAfterIdle = std::chrono::milliseconds(1000);

thread_local bool t_shed = false;       // this connection is to be answered 503 (pool full)
thread_local bool t_timed_out = false;  // the current request's deadline passed while reading
thread_local bool t_close = false;  // the current request's body cannot be skipped: close after it

int ms_left(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::clamp<int64_t>(left.count(), 0, kPollSliceMs));
}

void address_of(socket_t sock, bool peer, std::string& ip, int& port) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  auto* a = reinterpret_cast<sockaddr*>(&addr);
  if ((peer ? getpeername(sock, a, &len) : getsockname(sock, a, &len)) != 0) return;
  std::array<char, NI_MAXHOST> host{};
  std::array<char, NI_MAXSERV> serv{};
  if (getnameinfo(a, len, host.data(), host.size(), serv.data(), serv.size(),
                  NI_NUMERICHOST | NI_NUMERICSERV) != 0)
    return;
  ip = host.data();
  port = std::atoi(serv.data());
}

// httplib's SocketStream with deadlines instead of per-call timeouts: reading the request must end
// by `read_deadline`, and writing the response within `write_budget` of its first write. Waits in
// short slices so that a server stop ends a wait (bytes already there are still served).
class DeadlineStream final : public httplib::Stream {
 public:
  DeadlineStream(socket_t sock, Clock::time_point read_deadline, Clock::duration write_budget,
                 std::function<bool()> stopping)
      : sock_(sock), read_deadline_(read_deadline), write_budget_(write_budget),
        stopping_(std::move(stopping)) {}

  bool is_readable() const override { return off_ < len_ || wait(POLLIN, read_deadline_); }
  bool is_writable() const override { return wait(POLLOUT, write_deadline()); }

  ssize_t read(char* ptr, size_t size) override {
    if (off_ == len_) {  // httplib reads the request line and headers one byte a call: buffer
      if (!wait(POLLIN, read_deadline_)) return -1;
      ssize_t n;
      do n = ::recv(sock_, buf_.data(), buf_.size(), 0);
      while (n < 0 && errno == EINTR);
      if (n <= 0) return n;
      off_ = 0;
      len_ = static_cast<size_t>(n);
    }
    const size_t n = std::min(size, len_ - off_);
    std::memcpy(ptr, buf_.data() + off_, n);
    off_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (!wait(POLLOUT, write_deadline())) return -1;
    ssize_t n;
    do n = ::send(sock_, ptr, size, MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n;
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    address_of(sock_, true, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    address_of(sock_, false, ip, port);
  }
  socket_t socket() const override { return sock_; }

 private:
  Clock::time_point write_deadline() const {
    if (!write_started_) {
      write_deadline_ = Clock::now() + write_budget_;
      write_started_ = true;
    }
    return write_deadline_;
  }
  bool wait(short events, Clock::time_point deadline) const {
    while (true) {
      pollfd p{sock_, events, 0};
      const int r = ::poll(&p, 1, ms_left(deadline));
      if (r > 0) return true;  // ready, or an error/hang-up that recv/send will then report
      if (r < 0 && errno != EINTR) return false;
      if (stopping_()) return false;
      if (Clock::now() >= deadline) {
        if (events == POLLIN) t_timed_out = true;
        return false;
      }
    }
  }

  socket_t sock_;
  Clock::time_point read_deadline_;
  Clock::duration write_budget_;
  std::function<bool()> stopping_;
  mutable bool write_started_ = false;
  mutable Clock::time_point write_deadline_{};
  std::array<char, 16 * 1024> buf_{};
  size_t off_ = 0, len_ = 0;
};

// Answers 503 without reading the request, never blocking the accept loop that calls it.
void answer_busy(socket_t sock) {
  static const std::string response = [] {
    const std::string body = error_json(503, "server busy: too many connections waiting; retry");
    return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\nRetry-After: 1\r\nConnection: close\r\n\r\n" + body;
  }();
  [[maybe_unused]] const ssize_t n =
      ::send(sock, response.data(), response.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
}

// Closes a connection whose request was refused before its body was read: the response first,
// then our end of the stream, then what the client still sends is read and dropped (for at most
// half a second) before the close. Closing with unread bytes would send a reset, which can make
// the client drop the response before reading it.
void lingering_close(socket_t sock) {
  ::shutdown(sock, SHUT_WR);
  const auto deadline = Clock::now() + std::chrono::milliseconds(500);
  std::array<char, 4096> sink{};
  while (Clock::now() < deadline) {
    pollfd p{sock, POLLIN, 0};
    if (::poll(&p, 1, ms_left(deadline)) <= 0) continue;
    if (::recv(sock, sink.data(), sink.size(), 0) <= 0) break;  // the client closed too
  }
}

}  // namespace

// httplib's task queue for accepted connections: a fixed set of worker threads and a bounded
// queue. When the queue is full the job runs at once on the accept thread with t_shed set, and
// HttpServer::process_and_close_socket answers it 503 instead of serving it (a job is httplib's
// opaque "serve this socket" callback, so this is the only way to reach the socket).
class ConnectionPool final : public httplib::TaskQueue {
 public:
  ConnectionPool(int threads, size_t max_pending) : max_pending_(max_pending) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
  }
  ~ConnectionPool() override { shutdown(); }

  void enqueue(std::function<void()> job) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (jobs_.size() < max_pending_) {
        jobs_.push_back(std::move(job));
        waiting_ = jobs_.size();
        cv_.notify_one();
        return;
      }
    }
    t_shed = true;
    job();
    t_shed = false;
  }

  // Lets the workers finish the queued connections, then joins them.
  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_)
      if (t.joinable()) t.join();
  }

  bool others_waiting() const { return waiting_.load(std::memory_order_relaxed) > 0; }

 private:
  void work() {
    while (true) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
        if (jobs_.empty()) return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
        waiting_ = jobs_.size();
      }
      job();
    }
  }

  const size_t max_pending_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  std::atomic<size_t> waiting_{0};
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

HttpServer::HttpServer(HttpOptions options) : options_(options) {
  SENTI_CHECK(options_.threads >= 1 && options_.max_pending >= 1 &&
                  options_.request_timeout_s >= 1 && options_.max_requests_per_connection >= 1,
              "bad HttpOptions");
  // What httplib itself uses of these: the Keep-Alive response header, and SO_RCVTIMEO/SNDTIMEO
  // on accepted sockets (our waits come first, so those never fire).
  set_keep_alive_max_count(static_cast<size_t>(options_.max_requests_per_connection));
  set_keep_alive_timeout(options_.keep_alive_s);
  set_read_timeout(options_.request_timeout_s, 0);
  set_write_timeout(options_.request_timeout_s, 0);
  // Bad body framing (host/cli/serve_framing.h) is answered before httplib reads any of the body,
  // and closes the connection: where that body ends is unknown, so no next request can be found.
  set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    const FramingError e = check_request_framing(req);
    if (e.status == 0) return HandlerResponse::Unhandled;
    res.status = e.status;
    res.set_content(error_json(e.status, e.message), "application/json");
    res.set_header("Connection", "close");
    t_close = true;
    return HandlerResponse::Handled;
  });
  // httplib adds its Keep-Alive header (and a second "Connection: close" on a last request)
  // whatever the handler set: a closing response says only "Connection: close".
  set_post_routing_handler([](const httplib::Request&, httplib::Response& res) {
    const auto range = res.headers.equal_range("Connection");
    for (auto it = range.first; it != range.second; ++it) {
      if (it->second != "close") continue;
      res.headers.erase("Connection");
      res.headers.erase("Keep-Alive");
      res.set_header("Connection", "close");
      return;
    }
  });
  new_task_queue = [this] {
    auto* pool = new ConnectionPool(options_.threads, static_cast<size_t>(options_.max_pending));
    pool_ = pool;  // httplib deletes it when the accept loop ends, after shutdown()
    return pool;
  };
}

HttpServer::~HttpServer() {
  // A listener that never reached the accept loop (which closes it on stop) is closed here.
  if (!served_) {
    const socket_t sock = svr_sock_.exchange(INVALID_SOCKET);
    if (sock != INVALID_SOCKET) ::close(sock);
  }
}

int HttpServer::bind_listener(const std::string& host, int port) {
  if (port < 0 || port > 65535) SENTI_FAIL("--port must be in 0..65535, got ", port);
  SENTI_CHECK(svr_sock_ == INVALID_SOCKET, "bind_listener called twice");
  const bool v6 = host.find(':') != std::string::npos;
  const std::string where = (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found);
  if (rc != 0)
    SENTI_FAIL("cannot listen on ", where, ": --host ", host,
               " is not an address or a known host name (", gai_strerror(rc), ")");
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owned(found, freeaddrinfo);

  int err = 0;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      err = errno;
      continue;
    }
    const int one = 1, zero = 0;
    // SO_REUSEADDR lets a restarted server bind over connections still in TIME_WAIT; on Linux it
    // does not let two sockets listen on one port (SO_REUSEPORT would; it is never set).
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    // Accepted sockets inherit this on Linux; process_and_close_socket sets it again anyway.
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (a->ai_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, options_.backlog) == 0) {
      int bound = port;
      if (port == 0) {
        std::string ip;
        address_of(fd, false, ip, bound);
      }
      svr_sock_ = fd;
      return bound;
    }
    err = errno;
    ::close(fd);
  }
  if (err == EADDRINUSE)
    SENTI_FAIL("cannot listen on ", where, ": port ", port, " is already in use (another senti "
               "serve, or another program); stop it or choose another --port (0 picks a free one)");
  if (err == EACCES)
    SENTI_FAIL("cannot listen on ", where, ": permission denied (ports below 1024 need "
               "privileges); choose --port 1024 or above");
  if (err == EADDRNOTAVAIL)
    SENTI_FAIL("cannot listen on ", where, ": --host ", host, " is not an address of this machine");
  SENTI_FAIL("cannot listen on ", where, ": ", std::strerror(err));
}

bool HttpServer::serve() {
  served_ = true;
  const bool ok = listen_after_bind();
  pool_ = nullptr;
  return ok;
}

bool HttpServer::request_timed_out() { return t_timed_out; }

bool HttpServer::others_waiting() const {
  const ConnectionPool* pool = pool_.load();
  return pool != nullptr && pool->others_waiting();
}

bool HttpServer::wait_for_request(socket_t sock, int timeout_ms, bool yield_to_others) const {
  const auto start = Clock::now();
  const auto deadline = start + std::chrono::milliseconds(timeout_ms);
  while (true) {
    pollfd p{sock, POLLIN, 0};
    const int r = ::poll(&p, 1, ms_left(deadline));
    if (r > 0) return true;  // bytes, or the peer closed: process_request sees which
    if (r < 0 && errno != EINTR) return false;
    const auto now = Clock::now();
    if (stopping() || now >= deadline) return false;
    if (yield_to_others && now - start >= kYieldAfterIdle && others_waiting()) return false;
  }
}

bool HttpServer::process_and_close_socket(socket_t sock) {
  bool ok = false;
  if (t_shed) {
    answer_busy(sock);
  } else {
    try {
      const int one = 1;
      setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      const auto timeout = std::chrono::seconds(options_.request_timeout_s);
      const int max_requests = options_.max_requests_per_connection;
      for (int served = 0; served < max_requests; ++served) {
        // The first request's time counts from here (a worker took the connection); later ones
        // from their first byte.
        if (served > 0 && !wait_for_request(sock, options_.keep_alive_s * 1000, true)) break;
        t_timed_out = false;
        t_close = false;
        DeadlineStream stream(sock, Clock::now() + timeout, timeout, [this] { return stopping(); });
        const bool last = served + 1 == max_requests || others_waiting() || stopping();
        bool client_closes = false;
        ok = process_request(stream, last, client_closes, nullptr);
        if (!ok || client_closes || last || t_close) break;
      }
    } catch (...) {
      ok = false;  // never past the worker thread; the connection is closed below
    }
    t_timed_out = false;
    if (t_close) lingering_close(sock);
    t_close = false;
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

}  // namespace senti::cli
