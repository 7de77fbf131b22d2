#pragma once

// ContactServiceImpl: the gRPC adapter of the CRM (docs/crm.md): contacts, custom fields,
// accounts, imports (jobs) and exports. Validation and normalisation are contact_rules', the SQL
// contact_store's, the background import import_jobs'. Each handler runs on the work pool after the
// call's access decision (rpc::Handle and the rpc's (salesos.api.access) rule); the Do* methods are
// public so tests can drive them without gRPC. Another workspace's ids answer NOT_FOUND.

#include <grpcpp/grpcpp.h>

#include <functional>
#include <string>

#include "contact_store.h"
#include "conversation_peers.h"
#include "salesos/conversation/v1/conversation.grpc.pb.h"
#include "salesos/rpc/caller.h"
#include "salesos/rpc/work_pool.h"
#include "salesos/store/store.h"

namespace salesos::conversation {

struct ContactDeps {
  // Resolves segmentId (campaign); empty: segmentId is refused as unavailable (tests).
  SegmentResolver segments;
  // Tells screens (realtime): type ("contact.created", "job.updated", ...), workspace, the
  // resource's JSON. May be empty.
  std::function<void(const std::string& type, const std::string& workspace_id,
                     const std::string& json)>
      publish;
  std::function<void()> wake_imports;  // a job was queued; may be empty
};

// The workspace's contacts matching `rules` (EvaluateSegmentForService): custom fields checked
// against the declared ones; the count when asked; a page by id.
Status EvaluateSegment(store::Store& db, const v1::EvaluateSegmentForServiceRequest& req,
                       v1::EvaluateSegmentForServiceResponse* resp);

class ContactServiceImpl final : public v1::ContactService::CallbackService {
 public:
  ContactServiceImpl(store::Store& db, rpc::WorkPool& pool, ContactDeps deps = {})
      : db_(db), store_(db), pool_(pool), deps_(std::move(deps)) {}

  grpc::ServerUnaryReactor* CreateContact(grpc::CallbackServerContext* ctx, const v1::Contact* req,
                                          v1::Contact* resp) override;
  grpc::ServerUnaryReactor* ListContacts(grpc::CallbackServerContext* ctx,
                                         const v1::ListContactsRequest* req,
                                         v1::ListContactsResponse* resp) override;
  grpc::ServerUnaryReactor* ExportContacts(grpc::CallbackServerContext* ctx,
                                           const v1::ExportContactsRequest* req,
                                           api::HttpBody* resp) override;
  grpc::ServerUnaryReactor* ImportContacts(grpc::CallbackServerContext* ctx,
                                           const v1::ImportContactsRequest* req,
                                           v1::Job* resp) override;
  grpc::ServerUnaryReactor* UpdateContact(grpc::CallbackServerContext* ctx,
                                          const v1::UpdateContactRequest* req,
                                          v1::Contact* resp) override;
  grpc::ServerUnaryReactor* DeleteContact(grpc::CallbackServerContext* ctx,
                                          const v1::DeleteContactRequest* req,
                                          v1::DeleteContactResponse* resp) override;
  grpc::ServerUnaryReactor* CreateContactField(grpc::CallbackServerContext* ctx,
                                               const v1::ContactField* req,
                                               v1::ContactField* resp) override;
  grpc::ServerUnaryReactor* ListContactFields(grpc::CallbackServerContext* ctx,
                                              const v1::ListContactFieldsRequest* req,
                                              v1::ListContactFieldsResponse* resp) override;
  grpc::ServerUnaryReactor* DeleteContactField(grpc::CallbackServerContext* ctx,
                                               const v1::DeleteContactFieldRequest* req,
                                               v1::DeleteContactFieldResponse* resp) override;
  grpc::ServerUnaryReactor* CreateAccount(grpc::CallbackServerContext* ctx, const v1::Account* req,
                                          v1::Account* resp) override;
  grpc::ServerUnaryReactor* ListAccounts(grpc::CallbackServerContext* ctx,
                                         const v1::ListAccountsRequest* req,
                                         v1::ListAccountsResponse* resp) override;
  grpc::ServerUnaryReactor* GetAccount(grpc::CallbackServerContext* ctx,
                                       const v1::GetAccountRequest* req,
                                       v1::Account* resp) override;
  grpc::ServerUnaryReactor* UpdateAccount(grpc::CallbackServerContext* ctx,
                                          const v1::UpdateAccountRequest* req,
                                          v1::Account* resp) override;
  grpc::ServerUnaryReactor* DeleteAccount(grpc::CallbackServerContext* ctx,
                                          const v1::DeleteAccountRequest* req,
                                          v1::DeleteAccountResponse* resp) override;
  grpc::ServerUnaryReactor* GetJob(grpc::CallbackServerContext* ctx, const v1::GetJobRequest* req,
                                   v1::Job* resp) override;

  Status DoCreateContact(const rpc::Caller& caller, const v1::Contact& req, v1::Contact* resp);
  Status DoGetContact(const std::string& workspace_id, const std::string& id, v1::Contact* resp);
  Status DoListContacts(const rpc::Caller& caller, const v1::ListContactsRequest& req,
                        v1::ListContactsResponse* resp);
  Status DoExportContacts(const rpc::Caller& caller, const v1::ExportContactsRequest& req,
                          api::HttpBody* resp);
  Status DoImportContacts(const rpc::Caller& caller, const v1::ImportContactsRequest& req,
                          v1::Job* resp);
  Status DoUpdateContact(const rpc::Caller& caller, const v1::UpdateContactRequest& req,
                         v1::Contact* resp);
  Status DoDeleteContact(const rpc::Caller& caller, const v1::DeleteContactRequest& req);
  Status DoCreateContactField(const rpc::Caller& caller, const v1::ContactField& req,
                              v1::ContactField* resp);
  Status DoListContactFields(const rpc::Caller& caller, v1::ListContactFieldsResponse* resp);
  Status DoDeleteContactField(const rpc::Caller& caller, const v1::DeleteContactFieldRequest& req);
  Status DoCreateAccount(const rpc::Caller& caller, const v1::Account& req, v1::Account* resp);
  Status DoListAccounts(const rpc::Caller& caller, const v1::ListAccountsRequest& req,
                        v1::ListAccountsResponse* resp);
  Status DoGetAccount(const rpc::Caller& caller, const v1::GetAccountRequest& req,
                      v1::Account* resp);
  Status DoUpdateAccount(const rpc::Caller& caller, const v1::UpdateAccountRequest& req,
                         v1::Account* resp);
  Status DoDeleteAccount(const rpc::Caller& caller, const v1::DeleteAccountRequest& req);
  Status DoGetJob(const rpc::Caller& caller, const v1::GetJobRequest& req, v1::Job* resp);

  // The contact as the API shows it, with its account.
  Status ShowContact(const ContactRow& c, v1::Contact* out);

 private:
  // The compiled rule of segment `segment_id` as a list filter (placeholders from
  // ContactStore::kListRuleFirstParam).
  Status SegmentFilter(const std::string& workspace_id, const std::string& segment_id,
                       const segments::CustomFieldDecls& decls, ContactStore::ContactFilter* f);
  Status CheckAccount(const std::string& workspace_id, const std::string& account_id,
                      const char* field);
  void Publish(const std::string& type, const std::string& workspace_id,
               const google::protobuf::Message& resource);

  store::Store& db_;
  ContactStore store_;
  rpc::WorkPool& pool_;
  ContactDeps deps_;
};

}  // namespace salesos::conversation
