#include "common/config/storage_meta.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace karst::config {
namespace {

namespace fs = std::filesystem;
using ::karst::testing::StatusIs;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// A fresh, empty directory under TEST_TMPDIR.
fs::path TempDir(const std::string& name) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  fs::path dir = fs::path(tmp != nullptr ? tmp : "/tmp") / "storage_meta_test" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string Read(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteMeta(const fs::path& dir, const std::string& cluster_id, int node_id) {
  fs::create_directories(dir);
  std::ofstream(dir / kMetaPropertiesFile)
      << FormatMetaProperties({.cluster_id = cluster_id, .node_id = NodeId(node_id)});
}

StorageFormatOptions Options(const fs::path& root, const std::string& cluster_id) {
  return {.node_id = NodeId(1),
          .node_id_origin = "server.properties:1",
          .cluster_id = cluster_id,
          .cluster_id_origin = "flag --override cluster.id=" + cluster_id,
          .log_dirs = {(root / "a").string(), (root / "b").string()},
          .metadata_log_dir = (root / "meta").string()};
}

TEST(MetaProperties, RoundTripsThroughItsText) {
  const std::string text = FormatMetaProperties({.cluster_id = "c-1", .node_id = NodeId(7)});
  EXPECT_THAT(text, HasSubstr("version=1\ncluster.id=c-1\nnode.id=7\n"));
  ASSERT_OK_AND_ASSIGN(MetaProperties meta, ParseMetaProperties(text, "m"));
  EXPECT_EQ(meta.cluster_id, "c-1");
  EXPECT_EQ(meta.node_id, NodeId(7));
}

TEST(MetaProperties, AcceptsKafkasFileWithADirectoryId) {
  ASSERT_OK_AND_ASSIGN(MetaProperties meta,
                       ParseMetaProperties("#\n#Tue Mar 05 2024\nnode.id=3\n"
                                           "directory.id=J8aAPcfLQt2bqs1JT_rMgQ\nversion=1\n"
                                           "cluster.id=MkU3OEVBNTcwNTJENDM2Qk\n",
                                           "m"));
  EXPECT_EQ(meta.cluster_id, "MkU3OEVBNTcwNTJENDM2Qk");
  EXPECT_EQ(meta.node_id, NodeId(3));
}

TEST(MetaProperties, RejectsOtherVersionsAndMissingIds) {
  EXPECT_THAT(ParseMetaProperties("version=0\ncluster.id=c\nnode.id=1\n", "/d/meta.properties"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("/d/meta.properties: version '0' is not supported")));
  EXPECT_THAT(ParseMetaProperties("version=1\nnode.id=1\n", "m"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("cluster.id is missing")));
  EXPECT_THAT(ParseMetaProperties("version=1\ncluster.id=c\nnode.id=x\n", "m"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("node.id 'x'")));
}

TEST(FormatStorage, FormatsEveryDirWithTheConfiguredClusterId) {
  const fs::path root = TempDir("fresh");
  ASSERT_OK_AND_ASSIGN(StorageFormat result, FormatStorage(Options(root, "blue")));
  EXPECT_EQ(result.cluster_id, "blue");
  EXPECT_EQ(result.formatted.size(), 3u);
  for (const char* dir : {"a", "b", "meta"}) {
    EXPECT_THAT(Read(root / dir / kMetaPropertiesFile),
                HasSubstr("version=1\ncluster.id=blue\nnode.id=1\n"))
        << dir;
  }
  // A second start finds everything formatted and writes nothing.
  ASSERT_OK_AND_ASSIGN(StorageFormat again, FormatStorage(Options(root, "blue")));
  EXPECT_EQ(again.cluster_id, "blue");
  EXPECT_THAT(again.formatted, IsEmpty());
}

TEST(FormatStorage, AMetadataDirThatIsALogDirIsFormattedOnce) {
  const fs::path root = TempDir("shared");
  StorageFormatOptions options = Options(root, "blue");
  options.metadata_log_dir = options.log_dirs[0];
  ASSERT_OK_AND_ASSIGN(StorageFormat result, FormatStorage(options));
  EXPECT_EQ(result.formatted, options.log_dirs);
}

TEST(FormatStorage, UnsetClusterIdIsTakenFromFormattedDirsAndFormatsTheRest) {
  const fs::path root = TempDir("partial");
  WriteMeta(root / "b", "green", 1);
  ASSERT_OK_AND_ASSIGN(StorageFormat result, FormatStorage(Options(root, "")));
  EXPECT_EQ(result.cluster_id, "green");
  EXPECT_THAT(result.formatted, ElementsAre((root / "a").string(), (root / "meta").string()));
  EXPECT_THAT(Read(root / "a" / kMetaPropertiesFile), HasSubstr("cluster.id=green\n"));
}

TEST(FormatStorage, RefusesUnformattedStorageWithoutAClusterId) {
  const fs::path root = TempDir("unset");
  EXPECT_THAT(FormatStorage(Options(root, "")),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       AllOf(HasSubstr(absl::StrCat("log dir ", (root / "a").string(),
                                                    " is not formatted: set cluster.id")),
                             HasSubstr("KARST_CLUSTER_ID="))));
  EXPECT_FALSE(fs::exists(root / "a" / kMetaPropertiesFile));
}

TEST(FormatStorage, ConfiguredClusterIdMustMatchTheFormattedOne) {
  const fs::path root = TempDir("mismatch");
  WriteMeta(root / "a", "red", 1);
  const std::string file = (root / "a" / kMetaPropertiesFile).string();
  EXPECT_THAT(FormatStorage(Options(root, "blue")),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr(absl::StrCat(file,
                                              ": cluster.id 'red' does not match cluster.id "
                                              "'blue' (flag --override cluster.id=blue)"))));
  // Nothing was formatted on the way.
  EXPECT_FALSE(fs::exists(root / "b" / kMetaPropertiesFile));
}

TEST(FormatStorage, FormattedDirsMustAgreeWithEachOther) {
  const fs::path root = TempDir("disagree");
  WriteMeta(root / "a", "red", 1);
  WriteMeta(root / "meta", "blue", 1);
  EXPECT_THAT(FormatStorage(Options(root, "")),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr(absl::StrCat((root / "meta" / kMetaPropertiesFile).string(),
                                              ": cluster.id 'blue' does not match cluster.id "
                                              "'red' in ",
                                              (root / "a" / kMetaPropertiesFile).string()))));
}

TEST(FormatStorage, NodeIdMustMatch) {
  const fs::path root = TempDir("node-id");
  WriteMeta(root / "b", "blue", 4);
  EXPECT_THAT(FormatStorage(Options(root, "blue")),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("node.id 4 does not match node.id 1 (server.properties:1)")));
}

TEST(FormatStorage, AMalformedMetaPropertiesIsAnError) {
  const fs::path root = TempDir("malformed");
  fs::create_directories(root / "a");
  std::ofstream(root / "a" / kMetaPropertiesFile) << "version=2\ncluster.id=x\nnode.id=1\n";
  EXPECT_THAT(FormatStorage(Options(root, "x")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("version '2'")));
}

}  // namespace
}  // namespace karst::config
