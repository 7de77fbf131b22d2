#include "route_table.h"

#include <catch2/catch.hpp>

#include "salesos/api/access.pb.h"
#include "salesos/api/http.pb.h"
#include "support/suite.h"

namespace salesos::testing {

std::vector<HttpRoute> HttpRoutes() {
  std::vector<HttpRoute> out;
  for (const auto& upstream : Suite::ServiceNames()) {
    const auto* file = google::protobuf::DescriptorPool::generated_pool()->FindFileByName(
        "salesos/" + upstream + "/v1/" + upstream + ".proto");
    REQUIRE(file != nullptr);
    for (int s = 0; s < file->service_count(); ++s) {
      for (int m = 0; m < file->service(s)->method_count(); ++m) {
        const auto* method = file->service(s)->method(m);
        if (!method->options().HasExtension(salesos::api::http)) {
          continue;
        }
        const auto& http = method->options().GetExtension(salesos::api::http);
        const auto& access = method->options().GetExtension(salesos::api::access);
        HttpRoute r;
        r.rpc = method->full_name();
        r.input = method->input_type();
        r.body = http.body();
        r.anonymous = access.anonymous();
        r.min_role = access.min_role();
        switch (http.pattern_case()) {
          case salesos::api::HttpRule::kGet: r.method = "GET"; r.path = http.get(); break;
          case salesos::api::HttpRule::kPost: r.method = "POST"; r.path = http.post(); break;
          case salesos::api::HttpRule::kPut: r.method = "PUT"; r.path = http.put(); break;
          case salesos::api::HttpRule::kPatch: r.method = "PATCH"; r.path = http.patch(); break;
          case salesos::api::HttpRule::kDelete: r.method = "DELETE"; r.path = http.delete_(); break;
          default: FAIL("route without a method: " << r.rpc);
        }
        out.push_back(r);
      }
    }
  }
  return out;
}

}  // namespace salesos::testing
