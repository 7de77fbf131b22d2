#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "connection.h"
#include "salesos/redis/redis.h"
#include "url.h"

namespace salesos::redis::internal {

// Client over hiredis' blocking API: a pool of at most pool_size connections, made lazily, each
// lent to one call at a time. A connection that fails is closed and its slot freed, so the next
// call connects again; a connection the server closed while idle is noticed before use and
// replaced, so a server restart costs no failed call when nothing was in flight.
class HiredisClient final : public Client {
 public:
  HiredisClient(Endpoint endpoint, RedisOptions options);

  Result<Reply> Command(const std::vector<std::string>& args) override;
  Result<Reply> CommandRaw(const std::vector<std::string>& args) override;
  Result<Reply> BlockingCommand(const std::vector<std::string>& args, int block_ms) override;

 private:
  struct Conn {
    ContextPtr ctx;
    int timeout_ms = 0;  // the socket timeout currently set on ctx
  };

  Result<Reply> Run(const std::vector<std::string>& args, int timeout_ms, bool raw);
  // A connection of the pool, waiting up to command_timeout_ms for one to be free.
  Result<std::unique_ptr<Conn>> Acquire();
  // Returns a healthy connection to the pool; a broken one is closed and its slot freed.
  void Release(std::unique_ptr<Conn> conn, bool broken);

  const Endpoint endpoint_;
  const RedisOptions options_;

  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<Conn>> idle_;  // guarded by mu_
  int slots_in_use_ = 0;                     // guarded by mu_; idle, lent out, or being connected
};

}  // namespace salesos::redis::internal
