#include "integration_store.h"

#include <google/protobuf/util/json_util.h>

#include "integration_rules.h"
#include "salesos/crypto/encoding.h"

namespace salesos::auth {
namespace {

constexpr std::string_view kColumns =
    "id, workspace_id, platform, external_id, name, status, waba_id, settings, "
    "sealed_credentials, credentials_hint, connected_at, updated_at";

std::string SelectFrom(std::string_view where) {
  return "SELECT " + std::string(kColumns) + " FROM integrations WHERE " + std::string(where);
}

Result<std::string> SettingsToJson(const v1::IntegrationSettings& settings) {
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(settings, &json).ok()) {
    return Internal("integrations: cannot encode settings as JSON");
  }
  return json;
}

Result<IntegrationRecord> FromRow(const store::Row& r) {
  IntegrationRecord rec;
  rec.id = r.GetText(0);
  rec.workspace_id = r.GetText(1);
  rec.platform = r.GetText(2);
  rec.external_id = r.GetText(3);
  rec.name = r.GetText(4);
  rec.status = r.GetText(5);
  rec.waba_id = r.GetText(6);
  if (!google::protobuf::util::JsonStringToMessage(r.GetText(7), &rec.settings).ok()) {
    return Internal("integrations: the settings of " + rec.id + " are not valid JSON");
  }
  auto sealed = crypto::Base64Decode(r.GetText(8));
  if (!sealed.ok()) {
    return Internal("integrations: the sealed credentials of " + rec.id + " are not base64");
  }
  rec.sealed_credentials = std::move(*sealed);
  rec.credentials_hint = r.GetText(9);
  rec.connected_at = r.GetText(10);
  rec.updated_at = r.GetText(11);
  return rec;
}

Result<std::optional<IntegrationRecord>> AtMostOne(Result<store::Rows> rows) {
  if (!rows.ok()) {
    return rows.status();
  }
  if (rows->empty()) {
    return std::optional<IntegrationRecord>();
  }
  SALESOS_ASSIGN_OR_RETURN(IntegrationRecord rec, FromRow(rows->front()));
  return std::optional<IntegrationRecord>(std::move(rec));
}

Result<std::vector<IntegrationRecord>> All(Result<store::Rows> rows) {
  if (!rows.ok()) {
    return rows.status();
  }
  std::vector<IntegrationRecord> out;
  out.reserve(rows->size());
  for (const auto& r : *rows) {
    SALESOS_ASSIGN_OR_RETURN(IntegrationRecord rec, FromRow(r));
    out.push_back(std::move(rec));
  }
  return out;
}

store::Value TextOrNull(const std::optional<std::string>& v) {
  return v.has_value() ? store::Value(*v) : store::Value(store::Null{});
}

}  // namespace

Status IntegrationStore::Create(const IntegrationRecord& rec) {
  SALESOS_ASSIGN_OR_RETURN(std::string settings, SettingsToJson(rec.settings));
  auto n = db_.Exec(
      "INSERT INTO integrations (id, workspace_id, platform, external_id, name, status, waba_id, "
      "settings, sealed_credentials, credentials_hint, connected_at, updated_at) VALUES ($1, $2, "
      "$3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
      {rec.id, rec.workspace_id, rec.platform, rec.external_id, rec.name, rec.status, rec.waba_id,
       settings, crypto::Base64Encode(rec.sealed_credentials), rec.credentials_hint,
       rec.connected_at, rec.updated_at});
  return n.ok() ? OkStatus() : n.status();
}

Result<std::optional<IntegrationRecord>> IntegrationStore::Get(const std::string& workspace_id,
                                                               const std::string& id) {
  return AtMostOne(db_.Query(SelectFrom("workspace_id = $1 AND id = $2"), {workspace_id, id}));
}

Result<std::vector<IntegrationRecord>> IntegrationStore::List(const std::string& workspace_id,
                                                              const std::string& after_id,
                                                              int64_t limit) {
  return All(db_.Query(SelectFrom("workspace_id = $1 AND id > $2 ORDER BY id LIMIT $3"),
                       {workspace_id, after_id, limit}));
}

Result<std::vector<IntegrationRecord>> IntegrationStore::ListAll(const std::string& workspace_id) {
  return All(db_.Query(SelectFrom("workspace_id = $1 ORDER BY id"), {workspace_id}));
}

Result<std::optional<IntegrationRecord>> IntegrationStore::Update(const std::string& workspace_id,
                                                                  const std::string& id,
                                                                  const IntegrationUpdate& update) {
  std::optional<std::string> settings;
  if (update.settings.has_value()) {
    SALESOS_ASSIGN_OR_RETURN(settings, SettingsToJson(*update.settings));
  }
  std::optional<std::string> sealed;
  if (update.sealed_credentials.has_value()) {
    sealed = crypto::Base64Encode(*update.sealed_credentials);
  }
  std::optional<IntegrationRecord> after;
  Status st = db_.InTransaction([&](store::Executor& tx) -> Status {
    // NULL keeps a column as it is: one statement for every combination of changes.
    auto n = tx.Exec(
        "UPDATE integrations SET settings = COALESCE($1, settings), name = COALESCE($2, name), "
        "sealed_credentials = COALESCE($3, sealed_credentials), credentials_hint = "
        "COALESCE($4, credentials_hint), updated_at = $5 WHERE workspace_id = $6 AND id = $7",
        {TextOrNull(settings), TextOrNull(update.name), TextOrNull(sealed),
         TextOrNull(update.credentials_hint), update.updated_at, workspace_id, id});
    if (!n.ok()) {
      return n.status();
    }
    if (*n == 0) {
      return OkStatus();
    }
    SALESOS_ASSIGN_OR_RETURN(after, AtMostOne(tx.Query(SelectFrom("workspace_id = $1 AND id = $2"),
                                                       {workspace_id, id})));
    return OkStatus();
  });
  if (!st.ok()) {
    return st;
  }
  return after;
}

Result<std::optional<IntegrationRecord>> IntegrationStore::Delete(const std::string& workspace_id,
                                                                  const std::string& id) {
  std::optional<IntegrationRecord> before;
  Status st = db_.InTransaction([&](store::Executor& tx) -> Status {
    SALESOS_ASSIGN_OR_RETURN(before, AtMostOne(tx.Query(SelectFrom("workspace_id = $1 AND id = $2"),
                                                        {workspace_id, id})));
    if (!before.has_value()) {
      return OkStatus();
    }
    auto n =
        tx.Exec("DELETE FROM integrations WHERE workspace_id = $1 AND id = $2", {workspace_id, id});
    if (!n.ok()) {
      return n.status();
    }
    if (*n == 0) {
      // Removed by a concurrent call between the two statements: that call reports it.
      before.reset();
    }
    return OkStatus();
  });
  if (!st.ok()) {
    return st;
  }
  return before;
}

Result<std::optional<IntegrationRecord>> IntegrationStore::FindByExternalId(
    const std::string& platform, const std::string& external_id) {
  return AtMostOne(
      db_.Query(SelectFrom("platform = $1 AND external_id = $2"), {platform, external_id}));
}

Result<std::optional<IntegrationRecord>> IntegrationStore::FindById(const std::string& id) {
  return AtMostOne(db_.Query(SelectFrom("id = $1"), {id}));
}

rpc::SealedColumn SealedCredentialsColumn() {
  rpc::SealedColumn column;
  column.table = "integrations";
  column.id_column = "id";
  column.sealed_column = "sealed_credentials";
  column.aad_columns = {"workspace_id"};
  column.aad = [](const std::string& id, const std::vector<std::string>& values) {
    return CredentialsAad(values[0], id);
  };
  return column;
}

}  // namespace salesos::auth
