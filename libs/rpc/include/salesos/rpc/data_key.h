#pragma once

// The data key: the 32-byte AES-256-GCM key a service seals secrets at rest with (channel
// credentials in auth, outgoing webhooks' signing secrets in webhook_ingest, LLM API keys in
// ai_orchestration). From --data-key (base64, e.g. from a Kubernetes Secret through
// SALESOS_DATA_KEY) or, when that is empty, from --data-key-file (default <data-dir>/data.key,
// created with a random key on first start).
//
// Rotation: --data-previous-key-files names the keys used before (comma-separated files, each the
// base64 of one key; they must exist). The crypto::Aead that LoadDataKey returns is then a keyring:
// it seals with the current key and opens with the current or any previous one, so services call
// Seal and Open exactly as before. ResealColumn / BackgroundReseal move values that only a previous
// key opens to the current key, after which the previous keys can be retired.

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "salesos/core/config.h"
#include "salesos/core/status.h"
#include "salesos/crypto/aead.h"
#include "salesos/store/store.h"

namespace salesos::rpc {

// Adds --data-key, --data-key-file and --data-previous-key-files; `sealing` says what the key
// protects, for --help.
void AddDataKeySettings(Config& config, const std::string& sealing);

// The key the settings name, with the previous keys as a keyring; kInvalidArgument with a "bad
// configuration: ..." line naming the setting (and the file) when a key cannot be read or is not
// 32 bytes. A previous key file that does not exist is an error: it is never created.
Result<crypto::Aead> LoadDataKey(const Config& config);

// A column of sealed values: TEXT holding base64 of crypto::Aead::Seal's output ('' or NULL:
// nothing sealed), in a table with a TEXT primary key. The aad a value was sealed with is rebuilt
// from its row: `aad(id, values of aad_columns in order)`. Identifiers are written into the SQL, so
// they must be plain names ([a-z0-9_]); they come from code, never from input.
struct SealedColumn {
  std::string table;
  std::string id_column;
  std::string sealed_column;
  std::vector<std::string> aad_columns;
  std::function<std::string(const std::string& id, const std::vector<std::string>& aad_values)> aad;
};

struct ResealCounts {
  int64_t checked = 0;     // sealed values looked at
  int64_t current = 0;     // already sealed with the current key
  int64_t resealed = 0;    // opened by a previous key and written back sealed with the current one
  int64_t raced = 0;       // opened by a previous key but rewritten meanwhile by someone else;
                           // left as the other writer made them
  int64_t left = 0;        // of those raced, the ones that still only a previous key opens (an
                           // old replica, still sealing with the old key, wrote them)
  int64_t unreadable = 0;  // no configured key opens them (not base64, sealed with a key that is
                           // not configured, or edited by hand); left as they are and logged
  bool finished = false;   // false when `stop` ended the pass early
};

// One pass over `column`: every value that only a previous key of `keys` opens is sealed again with
// the current key. Idempotent (a second pass finds nothing to do) and safe beside live writes and
// other replicas: each value is replaced only if it still holds the bytes that were read (compare
// and set), and the rows are read in batches of `batch_rows` in primary-key order, so memory and
// each statement stay small whatever the table's size. `stop`, when given, is asked between rows;
// returning true ends the pass early (finished = false). Errors: kInvalidArgument for an
// identifier that is not a plain name; the store's error when a statement fails (the pass stops
// there; what was re-sealed stays re-sealed).
Result<ResealCounts> ResealColumn(store::Store& store, const SealedColumn& column,
                                  const crypto::Aead& keys, const std::function<bool()>& stop = {},
                                  int batch_rows = 100);

// Runs ResealColumn over each column on a thread of its own, once, and logs one line per column
// ("data key re-seal", with the counts; "left" counts the values this pass saw that still only a
// previous key opens, 0 unless a replica still sealing with an old key wrote them meanwhile). Does
// nothing when `keys` holds no previous key. Stop() (also run by the destructor) ends the pass
// after the current row and joins; call it before `store` goes away (from
// ServiceDefinition::on_stop).
class BackgroundReseal {
 public:
  BackgroundReseal(store::Store& store, std::vector<SealedColumn> columns, crypto::Aead keys);
  ~BackgroundReseal();
  BackgroundReseal(const BackgroundReseal&) = delete;
  BackgroundReseal& operator=(const BackgroundReseal&) = delete;

  void Stop();

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace salesos::rpc
