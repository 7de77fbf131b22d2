#include "auth_data_store.h"

#include "integration_service.h"

namespace salesos::auth {

using data_admin::Collection;
using data_admin::FieldKind;

std::unique_ptr<data_admin::Catalog> AuthDataCatalog(store::Store& db,
                                                     rpc::EventPublisher& events) {
  Collection users;
  users.name = "users";
  users.from = "users u JOIN members m ON m.user_id = u.id AND m.workspace_id = u.workspace_id";
  users.workspace_column = "m.workspace_id";
  users.id_column = "u.id";
  users.fields = {{"u.email", "email"},
                  {"u.name", "name"},
                  {"m.role", "role"},
                  {"u.onboarding_completed", "onboardingCompleted", FieldKind::kBool},
                  {"u.created_at", "createdAt"}};
  users.search = {"u.email", "u.name", "m.role"};
  users.deletable = false;
  users.clearable = false;

  Collection integrations;
  integrations.name = "integrations";
  integrations.from = "integrations";
  integrations.fields = {{"platform", "platform"},
                         {"external_id", "externalId"},
                         {"name", "name"},
                         {"status", "status"},
                         {"waba_id", "wabaId"},
                         {"settings", "settings", FieldKind::kJson},
                         {"credentials_hint", "credentialsHint"},
                         {"connected_at", "connectedAt"},
                         {"updated_at", "updatedAt"}};
  integrations.search = {"name", "platform", "external_id"};
  integrations.on_removed = [&events](const std::string& workspace_id, const store::Rows& rows) {
    for (const auto& row : rows) {
      IntegrationRecord rec;
      rec.workspace_id = workspace_id;
      rec.id = row.GetText(0);
      rec.platform = row.GetText(1);
      rec.external_id = row.GetText(2);
      PublishChannelChanged(events, rec, "disconnected");
    }
  };

  return std::make_unique<data_admin::Catalog>(
      db, "auth", std::vector<Collection>{std::move(users), std::move(integrations)});
}

}  // namespace salesos::auth
