#include "profile_store.h"

#include <google/protobuf/util/json_util.h>

#include "salesos/auth/v1/auth.pb.h"

namespace salesos::auth {

std::string EncodeDocuments(const std::vector<ProfileDocument>& documents) {
  // protobuf's JSON printer escapes exactly what JSON needs and keeps UTF-8 as is; the array
  // brackets are ours because a repeated field is not a message of its own.
  std::string out = "[";
  for (size_t i = 0; i < documents.size(); ++i) {
    v1::Document d;
    d.set_name(documents[i].name);
    d.set_url(documents[i].url);
    d.set_content(documents[i].content);
    std::string json;
    // Cannot fail for a message of plain strings (validated as UTF-8 before they get here).
    (void)google::protobuf::util::MessageToJsonString(d, &json);
    out += i == 0 ? "" : ",";
    out += json;
  }
  out += "]";
  return out;
}

Result<std::vector<ProfileDocument>> DecodeDocuments(const std::string& json) {
  v1::BusinessInfo holder;
  std::string wrapped = "{\"documents\":" + (json.empty() ? std::string("[]") : json) + "}";
  auto st = google::protobuf::util::JsonStringToMessage(wrapped, &holder);
  if (!st.ok()) {
    return Internal("business_profiles.documents is not a JSON array of documents: " +
                    std::string(st.message()));
  }
  std::vector<ProfileDocument> out;
  out.reserve(static_cast<size_t>(holder.documents_size()));
  for (const auto& d : holder.documents()) {
    out.push_back(ProfileDocument{d.name(), d.url(), d.content()});
  }
  return out;
}

Result<std::optional<ProfileRecord>> ProfileStore::Get(const std::string& workspace_id) {
  auto rows = db_.Query(
      "SELECT business_name, owner_name, industry, description, website, phone, documents, "
      "updated_at, updated_by FROM business_profiles WHERE workspace_id = $1",
      {workspace_id});
  if (!rows.ok()) {
    return rows.status();
  }
  if (rows->empty()) {
    return std::optional<ProfileRecord>();
  }
  const auto& r = rows->front();
  ProfileRecord rec;
  rec.profile.business_name = r.GetText(0);
  rec.profile.owner_name = r.GetText(1);
  rec.profile.industry = r.GetText(2);
  rec.profile.description = r.GetText(3);
  rec.profile.website = r.GetText(4);
  rec.profile.phone = r.GetText(5);
  auto documents = DecodeDocuments(r.GetText(6));
  if (!documents.ok()) {
    return documents.status();
  }
  rec.profile.documents = std::move(*documents);
  rec.updated_at = r.GetText(7);
  rec.updated_by = r.GetText(8);
  return std::optional<ProfileRecord>(std::move(rec));
}

Status ProfileStore::Put(const std::string& workspace_id, const std::string& user_id,
                         const BusinessProfile& p, const std::string& updated_at) {
  return db_.InTransaction([&](store::Executor& tx) -> Status {
    // The workspace's row is locked first, as MemberStore::DeleteWorkspace does, so a deletion
    // running meanwhile cannot miss the profile row this writes (and fail on its foreign key).
    auto n = tx.Exec("UPDATE workspaces SET name = name WHERE id = $1", {workspace_id});
    if (!n.ok()) {
      return n.status();
    }
    if (*n != 1) {
      return NotFound("workspace not found");
    }
    // A user removed meanwhile changes nothing.
    n = tx.Exec("UPDATE users SET onboarding_completed = 1 WHERE workspace_id = $1 AND id = $2",
                {workspace_id, user_id});
    if (!n.ok()) {
      return n.status();
    }
    if (*n != 1) {
      return NotFound("user not found");
    }
    auto r = tx.Exec(
        "INSERT INTO business_profiles (workspace_id, business_name, owner_name, industry, "
        "description, website, phone, documents, updated_at, updated_by) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
        "ON CONFLICT (workspace_id) DO UPDATE SET business_name = excluded.business_name, "
        "owner_name = excluded.owner_name, industry = excluded.industry, "
        "description = excluded.description, website = excluded.website, "
        "phone = excluded.phone, documents = excluded.documents, "
        "updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        {workspace_id, p.business_name, p.owner_name, p.industry, p.description, p.website, p.phone,
         EncodeDocuments(p.documents), updated_at, user_id});
    return r.ok() ? OkStatus() : r.status();
  });
}

}  // namespace salesos::auth
