#include "salesos/rpc/data_key.h"

#include <openssl/crypto.h>

#include <filesystem>

#include "salesos/core/log.h"
#include "salesos/crypto/encoding.h"

namespace salesos::rpc {
namespace {

// "a.key, b.key" → {"a.key", "b.key"}; blanks dropped.
std::vector<std::string> SplitFiles(const std::string& list) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string::npos) {
      comma = list.size();
    }
    std::string item = list.substr(start, comma - start);
    size_t b = item.find_first_not_of(" \t");
    size_t e = item.find_last_not_of(" \t");
    if (b != std::string::npos) {
      out.push_back(item.substr(b, e - b + 1));
    }
    start = comma + 1;
  }
  return out;
}

bool PlainName(const std::string& name) {
  if (name.empty()) {
    return false;
  }
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

void Wipe(std::string& s) { OPENSSL_cleanse(s.data(), s.size()); }

}  // namespace

void AddDataKeySettings(Config& config, const std::string& sealing) {
  config.Add("data-key", "", "32-byte key (base64) sealing " + sealing + "; wins over the file",
             true);
  config.Add("data-key-file", "",
             "file with the data key (base64); empty: <data-dir>/data.key, generated on first "
             "start");
  config.Add("data-previous-key-files", "",
             "comma-separated files, each with a data key used before a rotation (base64); values "
             "they sealed still open and are re-sealed with the current key");
}

Result<crypto::Aead> LoadDataKey(const Config& config) {
  std::string key_bytes;
  if (!config.Get("data-key").empty()) {
    auto decoded = crypto::Base64Decode(config.Get("data-key"));
    if (!decoded.ok()) {
      return InvalidArgument("bad configuration: --data-key (SALESOS_DATA_KEY) is not base64");
    }
    key_bytes = *decoded;
  } else {
    std::string file = config.Get("data-key-file");
    if (file.empty()) {
      file = (std::filesystem::path(config.Get("data-dir")) / "data.key").string();
    }
    auto loaded = crypto::LoadOrCreateKeyFile(file, crypto::Aead::kKeyBytes);
    if (!loaded.ok()) {
      return InvalidArgument("bad configuration: --data-key-file (SALESOS_DATA_KEY_FILE): " +
                             loaded.status().message());
    }
    key_bytes = *loaded;
  }
  std::vector<std::string> previous;
  for (const std::string& file : SplitFiles(config.Get("data-previous-key-files"))) {
    auto loaded = crypto::LoadKeyFile(file, crypto::Aead::kKeyBytes);
    if (!loaded.ok()) {
      for (std::string& k : previous) {
        Wipe(k);
      }
      Wipe(key_bytes);
      return InvalidArgument(
          "bad configuration: --data-previous-key-files (SALESOS_DATA_PREVIOUS_KEY_FILES): " +
          loaded.status().message());
    }
    previous.push_back(std::move(*loaded));
  }
  auto aead = crypto::Aead::FromKeys(key_bytes, previous);
  Wipe(key_bytes);
  for (std::string& k : previous) {
    Wipe(k);
  }
  if (!aead.ok()) {
    return InvalidArgument("bad configuration: the data key must be 32 bytes (base64 of 32)");
  }
  return std::move(*aead);
}

Result<ResealCounts> ResealColumn(store::Store& store, const SealedColumn& column,
                                  const crypto::Aead& keys, const std::function<bool()>& stop,
                                  int batch_rows) {
  bool names_ok = PlainName(column.table) && PlainName(column.id_column) &&
                  PlainName(column.sealed_column) && column.aad;
  for (const auto& c : column.aad_columns) {
    names_ok = names_ok && PlainName(c);
  }
  if (!names_ok || batch_rows < 1) {
    return InvalidArgument("re-seal of " + column.table + "." + column.sealed_column +
                           ": identifiers must be plain names and an aad function is required");
  }
  std::string select = "SELECT " + column.id_column + ", " + column.sealed_column;
  for (const auto& c : column.aad_columns) {
    select += ", " + c;
  }
  select += " FROM " + column.table + " WHERE " + column.id_column + " > $1 AND " +
            column.sealed_column + " <> '' ORDER BY " + column.id_column + " LIMIT " +
            std::to_string(batch_rows);
  const std::string update = "UPDATE " + column.table + " SET " + column.sealed_column +
                             " = $1 WHERE " + column.id_column + " = $2 AND " +
                             column.sealed_column + " = $3";
  const std::string reread = "SELECT " + column.sealed_column + " FROM " + column.table +
                             " WHERE " + column.id_column + " = $1";

  ResealCounts counts;
  std::string after;  // keyset paging: every id sorts after ""
  for (;;) {
    SALESOS_ASSIGN_OR_RETURN(store::Rows rows, store.Query(select, {after}));
    for (const store::Row& row : rows) {
      if (stop && stop()) {
        return counts;
      }
      std::string id = row.GetText(0);
      std::string stored = row.GetText(1);
      after = id;
      ++counts.checked;
      std::vector<std::string> aad_values;
      for (size_t i = 0; i < column.aad_columns.size(); ++i) {
        aad_values.push_back(row.GetText(2 + i));
      }
      std::string aad = column.aad(id, aad_values);
      auto sealed = crypto::Base64Decode(stored);
      size_t key_index = 0;
      auto plaintext =
          sealed.ok() ? keys.Open(*sealed, aad, &key_index) : Result<std::string>(sealed.status());
      if (!plaintext.ok()) {
        ++counts.unreadable;
        log::Warn("data key re-seal: a sealed value no configured key opens",
                  {{"table", column.table}, {"id", id}, {"error", plaintext.status().message()}});
        continue;
      }
      if (key_index == 0) {
        ++counts.current;
        Wipe(*plaintext);
        continue;
      }
      std::string resealed = crypto::Base64Encode(keys.Seal(*plaintext, aad));
      Wipe(*plaintext);
      SALESOS_ASSIGN_OR_RETURN(int64_t changed, store.Exec(update, {resealed, id, stored}));
      if (changed == 1) {
        ++counts.resealed;
        continue;
      }
      // Someone rewrote (or deleted) the value since it was read: see what they left.
      ++counts.raced;
      SALESOS_ASSIGN_OR_RETURN(store::Rows now, store.Query(reread, {id}));
      if (!now.empty() && !now[0].GetText(0).empty()) {
        auto again = crypto::Base64Decode(now[0].GetText(0));
        size_t index = 0;
        auto opened =
            again.ok() ? keys.Open(*again, aad, &index) : Result<std::string>(again.status());
        if (opened.ok()) {
          Wipe(*opened);
          counts.left += index == 0 ? 0 : 1;
        }
      }
    }
    if (rows.size() < static_cast<size_t>(batch_rows)) {
      break;
    }
  }
  counts.finished = true;
  return counts;
}

BackgroundReseal::BackgroundReseal(store::Store& store, std::vector<SealedColumn> columns,
                                   crypto::Aead keys) {
  if (keys.previous_key_count() == 0) {
    return;  // nothing can be sealed with a key other than the current one
  }
  thread_ = std::thread([this, &store, columns = std::move(columns), keys = std::move(keys)] {
    for (const SealedColumn& column : columns) {
      auto counts = ResealColumn(store, column, keys, [this] { return stop_.load(); });
      if (!counts.ok()) {
        log::Error("data key re-seal failed; it runs again at the next start",
                   {{"table", column.table},
                    {"column", column.sealed_column},
                    {"error", counts.status().message()}});
        continue;
      }
      if (!counts->finished) {
        log::Warn("data key re-seal stopped before the end; it runs again at the next start",
                  {{"table", column.table},
                   {"column", column.sealed_column},
                   {"checked", counts->checked},
                   {"resealed", counts->resealed}});
        return;
      }
      log::Info("data key re-seal",
                {{"table", column.table},
                 {"column", column.sealed_column},
                 {"checked", counts->checked},
                 {"resealed", counts->resealed},
                 {"alreadyCurrent", counts->current},
                 {"raced", counts->raced},
                 {"unreadable", counts->unreadable},
                 {"left", counts->left},
                 {"previousKeys", static_cast<int64_t>(keys.previous_key_count())}});
    }
  });
}

BackgroundReseal::~BackgroundReseal() { Stop(); }

void BackgroundReseal::Stop() {
  stop_.store(true);
  if (thread_.joinable()) {
    thread_.join();
  }
}

}  // namespace salesos::rpc
