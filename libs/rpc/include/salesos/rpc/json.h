#pragma once

// Protobuf messages as JSON, the way every SalesOS answer and realtime event shows them: the proto3
// JSON mapping with lowerCamelCase names (json_name) and every field printed, defaults included
// (as google::protobuf::util::MessageToJsonString with always_print_primitive_fields), but written
// straight from reflection into one string: several times faster than protobuf's printer, which
// serialises the message and re-reads it through a type resolver (rpc/json_test.cpp checks the two
// agree on every message of our protos).
//
//   - singular fields without presence: always (0, "", false, the first enum value);
//     fields with presence (message fields, `optional`, oneof members): only when set;
//     repeated fields: always ([] when empty); maps: always ({} when empty)
//   - 64-bit integers as strings; float and double in their shortest round-trip form, NaN and
//     infinities as "NaN", "Infinity", "-Infinity"; bytes as base64; enums by name (a number
//     when the value has no name)
//   - google.protobuf.Struct, Value and ListValue as the JSON they hold; other well-known types
//     through protobuf's printer

#include <google/protobuf/message.h>

#include <string>

namespace salesos::rpc {

std::string MessageToJson(const google::protobuf::Message& message);
// Appends to `out`.
void AppendMessageJson(const google::protobuf::Message& message, std::string& out);

}  // namespace salesos::rpc
