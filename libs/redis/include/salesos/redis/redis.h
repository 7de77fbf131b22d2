#pragma once

// A Redis client for the services: caches, rate limits, locks (SET NX PX + Lua), pub/sub fan-out to
// the gateway (see subscriber.h) and Streams consumer groups for events.
//
// Client promises:
// - Thread-safe: one Client is shared by every thread of a process. It holds a small pool of
//   connections, each used by one call at a time.
// - Every call is bounded: waiting for a free pooled connection and the command itself each take at
//   most RedisOptions::command_timeout_ms (BlockingCommand: block_ms more), and making a new
//   connection at most connect_timeout_ms. Nothing hangs on a dead or silent server.
// - Reconnecting: a connection that failed is dropped and the next call makes a new one. A failed
//   call is never retried automatically (a command may not be idempotent); the caller decides.
// - Errors: a transport failure (server down, timeout, connection reset) is kUnavailable with a
//   message starting "redis: "; an error reply from Redis ("-ERR ...", "-WRONGTYPE ...") is
//   kInternal carrying Redis' message, except through CommandRaw, which returns it as a Reply.
// - Binary-safe: keys, values and arguments may hold any bytes, NUL included.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "salesos/core/status.h"

namespace salesos::redis {

// One RESP2 reply. `str` holds kString, kStatus and kError text; `integer` kInteger; `elements`
// kArray. A nil bulk string and a nil array are both kNil.
struct Reply {
  enum class Type { kNil, kString, kInteger, kArray, kStatus, kError };
  Type type = Type::kNil;
  std::string str;
  int64_t integer = 0;
  std::vector<Reply> elements;

  bool IsNil() const { return type == Type::kNil; }
};

struct RedisOptions {
  int pool_size = 4;  // connections a Client keeps at most
  int connect_timeout_ms = 2000;
  int command_timeout_ms = 2000;  // also the bound on waiting for a free pooled connection
};

// One entry of a stream as XREADGROUP / XAUTOCLAIM return it.
struct StreamEntry {
  std::string id;
  // In stream order; empty for an entry deleted while pending (Redis returns it without fields).
  std::vector<std::pair<std::string, std::string>> fields;

  // The value of the first field called `name`, or nullptr.
  const std::string* Field(std::string_view name) const;
};

struct AutoClaimResult {
  // The cursor for the next XAUTOCLAIM call; "0-0" once the whole pending list was scanned.
  std::string next_start;
  // Entries now owned by the claiming consumer. Entries deleted from the stream while pending are
  // left out (Redis 7 reports and drops them from the pending list; 6.2 returns them as nil).
  std::vector<StreamEntry> entries;
};

class Client {
 public:
  virtual ~Client() = default;
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Runs one command, e.g. {"HSET", key, field, value}. An error reply is kInternal.
  virtual Result<Reply> Command(const std::vector<std::string>& args) = 0;
  // As Command, but an error reply comes back as a Reply of type kError; only transport failures
  // are non-ok. For callers that branch on the error (NOSCRIPT, BUSYGROUP, ...).
  virtual Result<Reply> CommandRaw(const std::vector<std::string>& args) = 0;
  // For commands that block on the server (XREADGROUP ... BLOCK, BLPOP): the socket waits
  // block_ms + command_timeout_ms for the reply. An error reply is kInternal. A blocking call holds
  // one pooled connection for its whole duration; size the pool for the blocked callers.
  virtual Result<Reply> BlockingCommand(const std::vector<std::string>& args, int block_ms) = 0;

  // Helpers on top of Command, the same for every implementation.

  Status Ping();
  // nullopt when the key does not exist.
  Result<std::optional<std::string>> Get(const std::string& key);
  // SET key value PX ttl_ms. ttl_ms must be > 0 (kInvalidArgument otherwise): every key we write
  // expires, so a forgotten key cannot grow the memory of a shared Redis for ever.
  Status Set(const std::string& key, const std::string& value, int64_t ttl_ms);
  // SET key value NX PX ttl_ms; true when this call set it, false when the key already existed.
  Result<bool> SetNx(const std::string& key, const std::string& value, int64_t ttl_ms);
  // The number of keys removed (0 or 1).
  Result<int64_t> Del(const std::string& key);
  // The number of subscribers (channel and pattern) that received the message.
  Result<int64_t> Publish(const std::string& channel, const std::string& message);
  // Runs a Lua script by EVALSHA with its SHA1, falling back to EVAL (which also caches it on the
  // server) when Redis answers NOSCRIPT, e.g. after a restart or SCRIPT FLUSH. An error raised by
  // the script is kInternal.
  Result<Reply> Eval(const std::string& script, const std::vector<std::string>& keys,
                     const std::vector<std::string>& args);

  // Streams.

  // XADD stream [MAXLEN ~ max_len_approx] * field value ...; the new entry's id. fields must not be
  // empty. max_len_approx <= 0 leaves the stream untrimmed.
  Result<std::string> XAdd(const std::string& stream,
                           const std::vector<std::pair<std::string, std::string>>& fields,
                           int64_t max_len_approx = 0);
  // XGROUP CREATE stream group start_id MKSTREAM; a group that already exists is success, so every
  // consumer can call it at start-up.
  Status XGroupCreate(const std::string& stream, const std::string& group,
                      const std::string& start_id = "0");
  // XREADGROUP GROUP group consumer [COUNT count] [BLOCK block_ms] STREAMS stream id. count <= 0
  // reads without a COUNT. block_ms > 0 waits up to that long for new entries (see
  // BlockingCommand); block_ms <= 0 does not block: Redis' "BLOCK 0" (for ever) is deliberately not
  // offered, every call is bounded. id ">" reads new entries, "0" this consumer's pending ones.
  // Nothing to read is an empty vector.
  Result<std::vector<StreamEntry>> XReadGroup(const std::string& group, const std::string& consumer,
                                              const std::string& stream, int count, int block_ms,
                                              const std::string& id = ">");
  // The number of entries acknowledged; 0 without a round trip when ids is empty.
  Result<int64_t> XAck(const std::string& stream, const std::string& group,
                       const std::vector<std::string>& ids);
  // XAUTOCLAIM stream group consumer min_idle_ms start COUNT count: takes over entries another
  // consumer read but did not acknowledge for at least min_idle_ms. Loop with next_start until it
  // is "0-0" to scan the whole pending list.
  Result<AutoClaimResult> XAutoClaim(const std::string& stream, const std::string& group,
                                     const std::string& consumer, int64_t min_idle_ms,
                                     const std::string& start, int count);

 protected:
  Client() = default;
};

using ClientPtr = std::shared_ptr<Client>;

// Makes a client for `url`:
//   redis://[[user]:password@]host[:port][/db]     port 6379 and db 0 by default
//   unix://[[user]:password@]/path/to/redis.sock[?db=N]
// Both also take "?db=N" and "?password=..." (percent-encoded). kInvalidArgument for a malformed
// URL, an unsupported scheme (rediss:// — TLS is not built in) or non-positive options. It does not
// connect: a server that is down is not an error here, calls fail kUnavailable until it is up.
Result<ClientPtr> Connect(std::string_view url, const RedisOptions& options = {});

}  // namespace salesos::redis
