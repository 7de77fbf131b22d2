#pragma once

// The largest gRPC message any SalesOS process sends or receives, on every channel MakeChannel
// builds and every server ServiceServer starts (one number, so a message one side may send the
// other may receive). gRPC's own default receive limit, 4 MiB, is too small for the CRM: an export
// of 100,000 contacts answers more than that, and an uploaded CSV of up to the gateway's
// --max-upload-bytes (32 MiB by default) travels to conversation as one request. 64 MiB leaves
// room for both with the protobuf framing around them; the gateway's HTTP limits are what bound
// what a client may send.

namespace salesos::rpc {

inline constexpr int kMaxMessageBytes = 64 * 1024 * 1024;

}  // namespace salesos::rpc
