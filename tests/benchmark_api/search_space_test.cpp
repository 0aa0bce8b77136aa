// Search spaces: arch strings, official index order, isomorphism classes, validity.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/size_space.h"
#include "nas/benchmark_api/topology_space.h"
#include "test_data.h"

namespace nas::bench {
namespace {

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST(TopologySpace, IndexOrderMatchesOfficialMetaFileForAll15625) {
  NAS_REQUIRE_SHARED_DATA();
  const auto official = read_lines(nas::test::shared_data("natsbench_fixtures/tss_arch_strings.txt"));
  ASSERT_EQ(official.size(), kTssNumArchs);
  for (std::uint32_t i = 0; i < kTssNumArchs; ++i) {
    ASSERT_EQ(format_tss_arch(tss_arch_at(i)), official[i]) << "index " << i;
    ASSERT_EQ(tss_index_of(parse_tss_arch(official[i])), i) << official[i];
  }
}

TEST(TopologySpace, IndexPermutationMatchesSpecTable) {
  const std::string path = std::string(NAS_SOURCE_DIR) + "/../shared/spec/nats-tss-index-perm.txt";
  const auto perm = read_lines(path);
  if (perm.empty()) GTEST_SKIP() << "spec table absent";
  ASSERT_EQ(perm.size(), kTssNumArchs);
  for (std::uint32_t i = 0; i < kTssNumArchs; ++i) {
    ASSERT_EQ(tss_canonical_code(tss_arch_at(i)), std::stoul(perm[i])) << "index " << i;
  }
}

TEST(TopologySpace, SpecTestVectors) {
  struct Vector {
    std::uint32_t index, canonical;
    const char* arch;
  };
  const Vector vectors[] = {
      {0, 13931, "|avg_pool_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|nor_conv_1x1~0|skip_connect~1|skip_connect~2|"},
      {9, 12528, "|avg_pool_3x3~0|+|none~0|none~1|+|skip_connect~0|none~1|nor_conv_3x3~2|"},
      {1651, 0, "|none~0|+|none~0|none~1|+|none~0|none~1|none~2|"},
      {1835, 3906, "|skip_connect~0|+|skip_connect~0|skip_connect~1|+|skip_connect~0|skip_connect~1|skip_connect~2|"},
      {11472, 9776, "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|"},
      {15624, 6512, "|nor_conv_1x1~0|+|none~0|nor_conv_1x1~1|+|none~0|nor_conv_1x1~1|nor_conv_1x1~2|"},
  };
  for (const auto& v : vectors) {
    const TssArch arch = parse_tss_arch(v.arch);
    EXPECT_EQ(tss_index_of(arch), v.index) << v.arch;
    EXPECT_EQ(tss_canonical_code(arch), v.canonical) << v.arch;
    EXPECT_EQ(format_tss_arch(arch), v.arch);
  }
}

TEST(TopologySpace, CanonicalCodeIsOdometerWithLastEdgeFastest) {
  EXPECT_EQ(format_tss_arch(tss_arch_from_canonical_code(1)),
            "|none~0|+|none~0|none~1|+|none~0|none~1|skip_connect~2|");
  EXPECT_EQ(format_tss_arch(tss_arch_from_canonical_code(15624)),
            "|avg_pool_3x3~0|+|avg_pool_3x3~0|avg_pool_3x3~1|+|avg_pool_3x3~0|avg_pool_3x3~1|avg_pool_3x3~2|");
}

TEST(TopologySpace, IsomorphismClassesAndValidity) {
  std::set<std::string> unique;
  int valid = 0;
  for (std::uint32_t i = 0; i < kTssNumArchs; ++i) {
    const TssArch arch = tss_arch_at(i);
    unique.insert(tss_unique_str(arch));
    valid += tss_is_valid(arch) ? 1 : 0;
  }
  EXPECT_EQ(unique.size(), 6466u);
  EXPECT_EQ(valid, 15284);
  // Input order does not matter: conv on 3<-0 plus skip on 3<-1 equals skip on 3<-0 plus conv on 3<-1
  // when nodes 0 and 1 carry the same function (skip 1<-0).
  const auto a = parse_tss_arch("|skip_connect~0|+|none~0|none~1|+|nor_conv_3x3~0|skip_connect~1|none~2|");
  const auto b = parse_tss_arch("|skip_connect~0|+|none~0|none~1|+|skip_connect~0|nor_conv_3x3~1|none~2|");
  EXPECT_EQ(tss_unique_str(a), tss_unique_str(b));
  EXPECT_NE(tss_unique_str(a), tss_unique_str(parse_tss_arch(
                                    "|skip_connect~0|+|none~0|none~1|+|nor_conv_1x1~0|skip_connect~1|none~2|")));
}

TEST(TopologySpace, MalformedStringsAreRejectedWithAClearError) {
  const char* bad[] = {
      "",
      "|",
      "|nor_conv_3x3~0|",
      "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|",
      "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|extra",
      "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~3|",
      "|nor_conv_3x3~0|+|nor_conv_3x3~1|none~0|+|skip_connect~0|none~1|skip_connect~2|",
      "|conv_5x5~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|",
      "|nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2",
      "|nor_conv_3x3~0| + |none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|",
      "|nor_conv_3x3~00|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|",
  };
  for (const char* text : bad) {
    EXPECT_THROW(parse_tss_arch(text), nas::Error) << text;
  }
  try {
    parse_tss_arch("|conv_5x5~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|");
  } catch (const nas::Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown operation 'conv_5x5'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(tss_arch_at(kTssNumArchs), nas::Error);
}

TEST(SizeSpace, IndexOrderMatchesOfficialMetaFileForAll32768) {
  NAS_REQUIRE_SHARED_DATA();
  const auto official = read_lines(nas::test::shared_data("natsbench_fixtures/sss_arch_strings.txt"));
  ASSERT_EQ(official.size(), kSssNumArchs);
  for (std::uint32_t i = 0; i < kSssNumArchs; ++i) {
    ASSERT_EQ(format_sss_arch(sss_arch_at(i)), official[i]) << "index " << i;
    ASSERT_EQ(sss_index_of(parse_sss_arch(official[i])), i);
  }
}

TEST(SizeSpace, SpecTestVectorsAndErrors) {
  EXPECT_EQ(format_sss_arch(sss_arch_at(0)), "8:8:8:8:8");
  EXPECT_EQ(format_sss_arch(sss_arch_at(1)), "8:8:8:8:16");
  EXPECT_EQ(format_sss_arch(sss_arch_at(12)), "8:8:8:16:40");
  EXPECT_EQ(format_sss_arch(sss_arch_at(1234)), "8:24:32:24:24");
  EXPECT_EQ(format_sss_arch(sss_arch_at(32767)), "64:64:64:64:64");
  for (const char* text : {"", "8:8:8:8", "8:8:8:8:8:8", "8:8:8:8:9", "8:8:8:8:72", "08:8:8:8:8", "8:8:8:8:0",
                           "8;8:8:8:8", "8:8:8:8:8 ", "-8:8:8:8:8", "8888:8:8:8:8"}) {
    EXPECT_THROW(parse_sss_arch(text), nas::Error) << text;
  }
  EXPECT_THROW(sss_arch_at(kSssNumArchs), nas::Error);
}

}  // namespace
}  // namespace nas::bench
