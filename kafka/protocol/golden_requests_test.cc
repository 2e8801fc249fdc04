// Requests captured from real clients (librdkafka/kcat, kafka-python, kafkajs and
// @platformatic/kafka; see testdata/requests/MANIFEST.md) decode, and re-encoding header and
// body gives back the identical bytes. Requests a client encodes wrongly (malformed/) must be
// refused with an error naming the API and version.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "kafka/protocol/apis.h"
#include "kafka/protocol/codec.h"
#include "kafka/protocol/messages/all.h"

namespace karst::kafka::protocol {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

template <typename Message>
absl::StatusOr<std::string> ReEncodeBody(const Request& request) {
  Message message;
  if (absl::Status s = DecodeBody(request, &message); !s.ok()) return s;
  std::string out;
  Writer w(&out);
  message.Encode(w, request.header.api_version);
  return out;
}

// The request re-encoded from its decoded header and body.
absl::StatusOr<std::string> ReEncode(absl::string_view frame) {
  absl::StatusOr<Request> request = DecodeRequest(frame);
  if (!request.ok()) return request.status();
  if (request->api == nullptr) return absl::InvalidArgumentError("unknown api");
  absl::StatusOr<std::string> body = absl::InternalError("no case");
  switch (request->api->key) {
#define KARST_GOLDEN_CASE(Name, key)              \
  case key:                                       \
    body = ReEncodeBody<Name##Request>(*request); \
    break;
    KARST_FOR_EACH_API(KARST_GOLDEN_CASE)
#undef KARST_GOLDEN_CASE
  }
  if (!body.ok()) return body.status();
  std::string out;
  Writer w(&out);
  EncodeRequestHeader(w, RequestHeaderVersion(*request->api, request->header.api_version),
                      request->header);
  w.Raw(*body);
  return out;
}

std::vector<fs::path> Files(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.path().extension() == ".bin") out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

const fs::path kDir = "kafka/protocol/testdata/requests";

TEST(GoldenRequests, EveryCaptureRoundTripsToTheSameBytes) {
  int checked = 0;
  std::set<std::string> clients;
  for (const fs::path& path : Files(kDir)) {
    if (path.parent_path().filename() == "malformed") continue;
    const std::string frame = ReadFile(path);
    absl::StatusOr<std::string> again = ReEncode(frame);
    ASSERT_TRUE(again.ok()) << path << ": " << again.status();
    EXPECT_EQ(*again, frame) << path;
    clients.insert(path.parent_path().filename().string());
    ++checked;
  }
  EXPECT_GE(checked, 300);
  EXPECT_EQ(clients.size(), 5u);  // kcat, librdkafka, kafka-python, kafkajs, platformatic.
}

TEST(GoldenRequests, MalformedCapturesAreRefusedWithApiAndVersion) {
  int checked = 0;
  for (const fs::path& path : Files(kDir)) {
    if (path.parent_path().filename() != "malformed") continue;
    absl::StatusOr<std::string> again = ReEncode(ReadFile(path));
    ASSERT_FALSE(again.ok()) << path;
    EXPECT_NE(again.status().message().find(" v"), absl::string_view::npos) << again.status();
    ++checked;
  }
  EXPECT_GE(checked, 1);
}

TEST(GoldenRequests, CoverTheApisTheIssueNames) {
  std::set<std::string> seen;
  for (const fs::path& path : Files(kDir)) {
    const std::string name = path.filename().string();
    seen.insert(name.substr(0, name.find("_v")));
  }
  for (const char* api : {"ApiVersions", "Metadata", "Produce", "Fetch", "ListOffsets",
                          "FindCoordinator", "JoinGroup", "SyncGroup", "Heartbeat", "LeaveGroup",
                          "OffsetCommit", "OffsetFetch", "CreateTopics", "InitProducerId"}) {
    EXPECT_TRUE(seen.count(api)) << api;
  }
}

}  // namespace
}  // namespace karst::kafka::protocol
