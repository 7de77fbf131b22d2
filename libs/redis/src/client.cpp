// The helpers every Client has, written once on top of Command / CommandRaw / BlockingCommand.

#include <string_view>

#include "salesos/redis/redis.h"
#include "sha1.h"

namespace salesos::redis {
namespace {

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

Status UnexpectedReply(std::string_view command, const Reply& reply) {
  return Internal("redis: unexpected reply type " + std::to_string(static_cast<int>(reply.type)) +
                  " to " + std::string(command));
}

// [id, [field, value, ...]] — or [id, nil] for an entry deleted while pending.
Result<StreamEntry> ParseEntry(const Reply& r) {
  if (r.type != Reply::Type::kArray || r.elements.size() != 2 ||
      r.elements[0].type != Reply::Type::kString) {
    return Internal("redis: malformed stream entry");
  }
  StreamEntry entry;
  entry.id = r.elements[0].str;
  const Reply& fields = r.elements[1];
  if (fields.IsNil()) {
    return entry;
  }
  if (fields.type != Reply::Type::kArray || fields.elements.size() % 2 != 0) {
    return Internal("redis: malformed fields of stream entry " + entry.id);
  }
  entry.fields.reserve(fields.elements.size() / 2);
  for (size_t i = 0; i < fields.elements.size(); i += 2) {
    entry.fields.emplace_back(fields.elements[i].str, fields.elements[i + 1].str);
  }
  return entry;
}

// Skips nil entries: XAUTOCLAIM on 6.2 returns an entry deleted while pending as nil.
Result<std::vector<StreamEntry>> ParseEntries(const Reply& r) {
  std::vector<StreamEntry> out;
  if (r.IsNil()) {
    return out;
  }
  if (r.type != Reply::Type::kArray) {
    return Internal("redis: malformed stream entry list");
  }
  out.reserve(r.elements.size());
  for (const Reply& e : r.elements) {
    if (e.IsNil()) {
      continue;
    }
    SALESOS_ASSIGN_OR_RETURN(StreamEntry entry, ParseEntry(e));
    out.push_back(std::move(entry));
  }
  return out;
}

Status CheckTtl(int64_t ttl_ms) {
  if (ttl_ms <= 0) {
    return InvalidArgument("redis: ttl_ms must be > 0, got " + std::to_string(ttl_ms));
  }
  return OkStatus();
}

}  // namespace

const std::string* StreamEntry::Field(std::string_view name) const {
  for (const auto& [key, value] : fields) {
    if (key == name) {
      return &value;
    }
  }
  return nullptr;
}

Status Client::Ping() {
  SALESOS_ASSIGN_OR_RETURN(Reply reply, Command({"PING"}));
  if (reply.type != Reply::Type::kStatus) {
    return UnexpectedReply("PING", reply);
  }
  return OkStatus();
}

Result<std::optional<std::string>> Client::Get(const std::string& key) {
  SALESOS_ASSIGN_OR_RETURN(Reply reply, Command({"GET", key}));
  if (reply.IsNil()) {
    return std::optional<std::string>();
  }
  if (reply.type != Reply::Type::kString) {
    return UnexpectedReply("GET", reply);
  }
  return std::optional<std::string>(std::move(reply.str));
}

Status Client::Set(const std::string& key, const std::string& value, int64_t ttl_ms) {
  SALESOS_RETURN_IF_ERROR(CheckTtl(ttl_ms));
  return Command({"SET", key, value, "PX", std::to_string(ttl_ms)}).status();
}

Result<bool> Client::SetNx(const std::string& key, const std::string& value, int64_t ttl_ms) {
  SALESOS_RETURN_IF_ERROR(CheckTtl(ttl_ms));
  SALESOS_ASSIGN_OR_RETURN(Reply reply,
                           Command({"SET", key, value, "NX", "PX", std::to_string(ttl_ms)}));
  return !reply.IsNil();
}

Result<int64_t> Client::Del(const std::string& key) {
  SALESOS_ASSIGN_OR_RETURN(Reply reply, Command({"DEL", key}));
  if (reply.type != Reply::Type::kInteger) {
    return UnexpectedReply("DEL", reply);
  }
  return reply.integer;
}

Result<int64_t> Client::Publish(const std::string& channel, const std::string& message) {
  SALESOS_ASSIGN_OR_RETURN(Reply reply, Command({"PUBLISH", channel, message}));
  if (reply.type != Reply::Type::kInteger) {
    return UnexpectedReply("PUBLISH", reply);
  }
  return reply.integer;
}

Result<Reply> Client::Eval(const std::string& script, const std::vector<std::string>& keys,
                           const std::vector<std::string>& args) {
  std::vector<std::string> command;
  command.reserve(3 + keys.size() + args.size());
  command.push_back("EVALSHA");
  command.push_back(internal::Sha1Hex(script));
  command.push_back(std::to_string(keys.size()));
  command.insert(command.end(), keys.begin(), keys.end());
  command.insert(command.end(), args.begin(), args.end());
  SALESOS_ASSIGN_OR_RETURN(Reply reply, CommandRaw(command));
  if (reply.type == Reply::Type::kError && StartsWith(reply.str, "NOSCRIPT")) {
    // Not cached on this server (restart, failover, SCRIPT FLUSH): EVAL runs and caches it, so
    // the next EVALSHA hits.
    command[0] = "EVAL";
    command[1] = script;
    SALESOS_ASSIGN_OR_RETURN(reply, CommandRaw(command));
  }
  if (reply.type == Reply::Type::kError) {
    return Internal(std::move(reply.str));
  }
  return reply;
}

Result<std::string> Client::XAdd(const std::string& stream,
                                 const std::vector<std::pair<std::string, std::string>>& fields,
                                 int64_t max_len_approx) {
  if (fields.empty()) {
    return InvalidArgument("redis: XADD to " + stream + " needs at least one field");
  }
  std::vector<std::string> command = {"XADD", stream};
  if (max_len_approx > 0) {
    command.insert(command.end(), {"MAXLEN", "~", std::to_string(max_len_approx)});
  }
  command.push_back("*");
  for (const auto& [key, value] : fields) {
    command.push_back(key);
    command.push_back(value);
  }
  SALESOS_ASSIGN_OR_RETURN(Reply reply, Command(command));
  if (reply.type != Reply::Type::kString) {
    return UnexpectedReply("XADD", reply);
  }
  return std::move(reply.str);
}

Status Client::XGroupCreate(const std::string& stream, const std::string& group,
                            const std::string& start_id) {
  SALESOS_ASSIGN_OR_RETURN(Reply reply,
                           CommandRaw({"XGROUP", "CREATE", stream, group, start_id, "MKSTREAM"}));
  if (reply.type == Reply::Type::kError && !StartsWith(reply.str, "BUSYGROUP")) {
    return Internal(std::move(reply.str));
  }
  return OkStatus();
}

Result<std::vector<StreamEntry>> Client::XReadGroup(const std::string& group,
                                                    const std::string& consumer,
                                                    const std::string& stream, int count,
                                                    int block_ms, const std::string& id) {
  std::vector<std::string> command = {"XREADGROUP", "GROUP", group, consumer};
  if (count > 0) {
    command.insert(command.end(), {"COUNT", std::to_string(count)});
  }
  if (block_ms > 0) {
    command.insert(command.end(), {"BLOCK", std::to_string(block_ms)});
  }
  command.insert(command.end(), {"STREAMS", stream, id});
  SALESOS_ASSIGN_OR_RETURN(Reply reply,
                           block_ms > 0 ? BlockingCommand(command, block_ms) : Command(command));
  // nil (timed out or nothing new), else [[stream, [entries]]].
  if (reply.IsNil()) {
    return std::vector<StreamEntry>();
  }
  if (reply.type != Reply::Type::kArray || reply.elements.size() != 1 ||
      reply.elements[0].type != Reply::Type::kArray || reply.elements[0].elements.size() != 2) {
    return UnexpectedReply("XREADGROUP", reply);
  }
  return ParseEntries(reply.elements[0].elements[1]);
}

Result<int64_t> Client::XAck(const std::string& stream, const std::string& group,
                             const std::vector<std::string>& ids) {
  if (ids.empty()) {
    return int64_t{0};
  }
  std::vector<std::string> command = {"XACK", stream, group};
  command.insert(command.end(), ids.begin(), ids.end());
  SALESOS_ASSIGN_OR_RETURN(Reply reply, Command(command));
  if (reply.type != Reply::Type::kInteger) {
    return UnexpectedReply("XACK", reply);
  }
  return reply.integer;
}

Result<AutoClaimResult> Client::XAutoClaim(const std::string& stream, const std::string& group,
                                           const std::string& consumer, int64_t min_idle_ms,
                                           const std::string& start, int count) {
  std::vector<std::string> command = {
      "XAUTOCLAIM", stream, group, consumer, std::to_string(min_idle_ms), start};
  if (count > 0) {
    command.insert(command.end(), {"COUNT", std::to_string(count)});
  }
  SALESOS_ASSIGN_OR_RETURN(Reply reply, Command(command));
  // Redis 6.2: [next, entries]; Redis 7: [next, entries, deleted ids]. The deleted ids are already
  // gone from the pending list, so there is nothing for the caller to do with them.
  if (reply.type != Reply::Type::kArray || reply.elements.size() < 2 ||
      reply.elements[0].type != Reply::Type::kString) {
    return UnexpectedReply("XAUTOCLAIM", reply);
  }
  AutoClaimResult result;
  result.next_start = std::move(reply.elements[0].str);
  SALESOS_ASSIGN_OR_RETURN(result.entries, ParseEntries(reply.elements[1]));
  return result;
}

}  // namespace salesos::redis
