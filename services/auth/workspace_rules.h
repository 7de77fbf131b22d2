#pragma once

// Pure rules of a workspace: which roles exist and who may grant them, the last-owner rules, the
// limits of the business profile, and the page tokens of the member list. No gRPC, no SQL: the
// adapter (workspace_service) and the stores (member_store, profile_store) call these.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "salesos/core/status.h"

namespace salesos::auth {

// The roles a member of a workspace can hold, highest first. "superadmin" is a platform role that
// only ever appears in tokens, never in members.role.
inline constexpr std::string_view kOwnerRole = "owner";
inline constexpr std::string_view kAdminRole = "admin";
inline constexpr std::string_view kAgentRole = "agent";
inline constexpr std::string_view kViewerRole = "viewer";

// kInvalidArgument naming `field` unless `role` is one of owner, admin, agent, viewer (exactly:
// roles are identifiers, not free text, so "Admin" is refused rather than guessed).
Status ValidateRole(std::string_view role, std::string_view field = "role");

// `actor_is_owner`: the caller ranks as an owner or above (an owner, or a platform superadmin),
// as the adapter decides with rpc::RoleRank; the rules stay free of the rpc layer.

// Whether the caller may hand out `role` to a new member: only an owner makes owners.
Status CheckCanGrant(bool actor_is_owner, std::string_view role);

// Whether the caller may change a member's role from `current_role` to `new_role` when the
// workspace has `owner_count` owners (the member included). Only an owner grants or takes away
// the owner role (kPermissionDenied); the last owner cannot be demoted (kFailedPrecondition: the
// request is fine, the workspace's state refuses it).
Status CheckRoleChange(bool actor_is_owner, std::string_view current_role,
                       std::string_view new_role, int64_t owner_count);

// Whether the caller may remove a member holding `target_role`. Removing an owner takes the owner
// role away, so it needs an owner; the last owner cannot be removed (not even by themself).
Status CheckRemoval(bool actor_is_owner, std::string_view target_role, int64_t owner_count);

// The business profile, as the rules and the store see it (the adapter maps it to
// v1::BusinessInfo).
struct ProfileDocument {
  std::string name;
  std::string url;
  std::string content;
};

struct BusinessProfile {
  std::string business_name;
  std::string owner_name;
  std::string industry;
  std::string description;
  std::string website;
  std::string phone;
  std::vector<ProfileDocument> documents;
};

// Limits of the profile, in Unicode code points (as the proto comments state them).
inline constexpr long kMaxOwnerNameLength = 100;
inline constexpr long kMaxIndustryLength = 100;
inline constexpr long kMaxDescriptionLength = 5000;
inline constexpr long kMaxUrlLength = 2048;
inline constexpr long kMaxPhoneLength = 32;
inline constexpr size_t kMaxDocuments = 20;
inline constexpr long kMaxDocumentNameLength = 200;
inline constexpr long kMaxDocumentContentLength = 100000;

// The first violated limit as kInvalidArgument naming the JSON path of the field under
// `prefix` ("businessInfo.description", "businessInfo.documents[2].content"). Text must be valid
// UTF-8; businessName and each document's name must not be blank; website and document urls
// are empty or absolute http(s) URLs; phone is empty or digits, spaces and + - ( ).
Status ValidateBusinessProfile(const BusinessProfile& profile,
                               std::string_view prefix = "businessInfo");

// True for "http://host..." or "https://host..." (scheme case-insensitive) with a non-empty host
// and no whitespace or control characters.
bool IsHttpUrl(std::string_view url);

// Member list paging: the page size a request asks for (0: kDefaultPageSize), and the opaque
// token that continues after the last member of a page.
inline constexpr int kDefaultPageSize = 50;
inline constexpr int kMaxPageSize = 200;
Result<int> ResolvePageSize(int64_t requested, std::string_view field = "pageSize");
std::string EncodeMemberPageToken(std::string_view last_user_id);
// The user id a token continues after; "" for an empty token (the first page); kInvalidArgument
// naming `field` for anything this list did not hand out.
Result<std::string> DecodeMemberPageToken(std::string_view token,
                                          std::string_view field = "pageToken");

}  // namespace salesos::auth
