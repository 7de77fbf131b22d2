#include "router.h"

#include "salesos/api/access.pb.h"
#include "salesos/api/http.pb.h"
#include "salesos/api/http_body.pb.h"

namespace salesos::gateway {
namespace {

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < path.size()) {
    if (path[i] == '/') {
      ++i;
      continue;
    }
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) {
      j = path.size();
    }
    out.emplace_back(path.substr(i, j - i));
    i = j;
  }
  return out;
}

bool IsVariable(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// Whether two templates match exactly the same paths: the same literals, variables at the same
// places (whatever their names).
bool SameShape(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    bool va = IsVariable(a[i]);
    if (va != IsVariable(b[i]) || (!va && a[i] != b[i])) {
      return false;
    }
  }
  return true;
}

// Whether template `a` is more specific than `b` (both matching one path): at the first segment
// where one has a literal and the other a variable, the literal wins.
bool MoreSpecific(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    bool va = IsVariable(a[i]);
    bool vb = IsVariable(b[i]);
    if (va != vb) {
      return vb;
    }
  }
  return false;
}

// The path parameters of `segments` under `route`, or false when it does not match.
bool MatchPath(const Route& route, const std::vector<std::string>& segments, PathParams* params) {
  if (route.segments.size() != segments.size()) {
    return false;
  }
  for (size_t i = 0; i < segments.size(); ++i) {
    const std::string& t = route.segments[i];
    if (IsVariable(t)) {
      std::string value;
      if (!PercentDecode(segments[i], false, &value) || value.empty()) {
        return false;
      }
      params->emplace_back(t.substr(1, t.size() - 2), std::move(value));
    } else if (t != segments[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool PercentDecode(std::string_view in, bool plus_is_space, std::string* out) {
  auto hex = [](char h) -> int {
    if (h >= '0' && h <= '9') return h - '0';
    if (h >= 'a' && h <= 'f') return h - 'a' + 10;
    if (h >= 'A' && h <= 'F') return h - 'A' + 10;
    return -1;
  };
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) {
        return false;  // truncated escape
      }
      int hi = hex(in[i + 1]);
      int lo = hex(in[i + 2]);
      if (hi < 0 || lo < 0) {
        return false;
      }
      *out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      *out += ' ';
    } else {
      *out += c;
    }
  }
  return true;
}

Result<QueryParams> DecodeQuery(std::string_view query) {
  QueryParams params;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) {
      continue;
    }
    auto eq = pair.find('=');
    std::string key, value;
    if (!PercentDecode(pair.substr(0, eq), true, &key) ||
        !PercentDecode(eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1),
                       true, &value)) {
      return InvalidArgument("malformed percent-encoding in the query string");
    }
    params.emplace_back(std::move(key), std::move(value));
  }
  return params;
}

Status Router::AddUpstream(const std::string& upstream) {
  std::string file_name = "salesos/" + upstream + "/v1/" + upstream + ".proto";
  const auto* file =
      google::protobuf::DescriptorPool::generated_pool()->FindFileByName(file_name);
  if (file == nullptr) {
    return InvalidArgument("no contract " + file_name + " is compiled into the gateway");
  }
  for (int s = 0; s < file->service_count(); ++s) {
    const auto* service = file->service(s);
    for (int m = 0; m < service->method_count(); ++m) {
      const auto* method = service->method(m);
      if (!method->options().HasExtension(api::http)) {
        continue;  // internal rpc: not reachable over HTTP
      }
      const api::HttpRule& rule = method->options().GetExtension(api::http);
      Route r;
      switch (rule.pattern_case()) {
        case api::HttpRule::kGet: r.http_method = "GET"; r.path_template = rule.get(); break;
        case api::HttpRule::kPut: r.http_method = "PUT"; r.path_template = rule.put(); break;
        case api::HttpRule::kPost: r.http_method = "POST"; r.path_template = rule.post(); break;
        case api::HttpRule::kDelete: r.http_method = "DELETE"; r.path_template = rule.delete_(); break;
        case api::HttpRule::kPatch: r.http_method = "PATCH"; r.path_template = rule.patch(); break;
        default:
          return InvalidArgument(method->full_name() + ": (salesos.api.http) has no method and path");
      }
      if (r.path_template.empty() || r.path_template.front() != '/') {
        return InvalidArgument(method->full_name() + ": path must start with '/'");
      }
      if (!rule.body().empty() && rule.body() != "*") {
        const auto* field = method->input_type()->FindFieldByName(rule.body());
        if (field == nullptr || field->is_repeated() ||
            field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) {
          return InvalidArgument(method->full_name() +
                                 ": body must be \"*\", empty or a message "
                                 "field of " +
                                 method->input_type()->full_name() + ", not \"" + rule.body() +
                                 "\"");
        }
        r.body_field = field;
        r.raw_body = field->message_type() == api::HttpBody::descriptor();
      }
      r.segments = SplitPath(r.path_template);
      for (const auto& seg : r.segments) {
        if (IsVariable(seg)) {
          std::string field = seg.substr(1, seg.size() - 2);
          if (method->input_type()->FindFieldByName(field) == nullptr) {
            return InvalidArgument(method->full_name() + ": path variable {" + field +
                                   "} is not a field of " + method->input_type()->full_name());
          }
          if (field == rule.body()) {
            return InvalidArgument(method->full_name() + ": path variable {" + field +
                                   "} is also the body field");
          }
        }
      }
      r.body = rule.body();
      r.access = method->options().GetExtension(api::access);
      r.allow_anonymous = r.access.anonymous();
      r.upstream = upstream;
      r.grpc_method = "/" + service->full_name() + "/" + method->name();
      r.method = method;
      for (const auto& other : routes_) {
        if (other.http_method == r.http_method && SameShape(other.segments, r.segments)) {
          return InvalidArgument("route " + r.http_method + " " + r.path_template + " of " +
                                 method->full_name() + " is already served by " +
                                 other.method->full_name());
        }
      }
      routes_.push_back(std::move(r));
    }
  }
  return OkStatus();
}

Match Router::Find(std::string_view http_method, std::string_view path) const {
  Match result;
  std::vector<std::string> segments = SplitPath(path);
  for (const auto& route : routes_) {
    PathParams params;
    if (!MatchPath(route, segments, &params)) {
      continue;
    }
    if (route.http_method != http_method) {
      result.method_mismatch = result.route == nullptr;
      continue;
    }
    if (result.route == nullptr || MoreSpecific(route.segments, result.route->segments)) {
      result.route = &route;
      result.params = std::move(params);
      result.method_mismatch = false;
    }
  }
  return result;
}

}  // namespace salesos::gateway
