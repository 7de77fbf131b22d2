#include "salesos/rpc/data_key.h"

#include <filesystem>

#include "salesos/crypto/encoding.h"

namespace salesos::rpc {

void AddDataKeySettings(Config& config, const std::string& sealing) {
  config.Add("data-key", "", "32-byte key (base64) sealing " + sealing + "; wins over the file",
             true);
  config.Add("data-key-file", "",
             "file with the data key (base64); empty: <data-dir>/data.key, generated on first "
             "start");
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
  auto aead = crypto::Aead::FromKey(key_bytes);
  if (!aead.ok()) {
    return InvalidArgument("bad configuration: the data key must be 32 bytes (base64 of 32)");
  }
  return std::move(*aead);
}

}  // namespace salesos::rpc
