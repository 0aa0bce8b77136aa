// ConfigBinder's value ranges and rules: checked on every parse (defaults included), stated in the
// help, one error naming the owner and the key.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "nas/algorithms/config.h"

namespace nas::algorithms {
namespace {

struct Settings {
  int count = 3;
  double rate = 0.5;
  double momentum = 0.9;
  double low = 1, high = 2;
};

ConfigBinder<Settings> binder() {
  ConfigBinder<Settings> b("searcher demo");
  b.field("count", &Settings::count, "How many", range::between(1, 10));
  b.field("rate", &Settings::rate, "Step size", range::positive());
  b.field("momentum", &Settings::momentum, "Momentum", range::below_one());
  b.field("low", &Settings::low, "Lower end", range::finite());
  b.field("high", &Settings::high, "Upper end", range::finite());
  b.rule([](const Settings& s) -> std::string { return s.low <= s.high ? "" : "low must be at most high"; });
  return b;
}

std::string error_of(const YAML::Node& overrides) {
  try {
    binder().parse(overrides);
  } catch (const nas::Error& e) {
    return e.what();
  }
  return "";
}

YAML::Node one(const std::string& key, const std::string& value) {
  YAML::Node node;
  node[key] = YAML::Load(value);
  return node;
}

TEST(ConfigRanges, ValuesInRangeParse) {
  const Settings s = binder().parse(one("count", "10"));
  EXPECT_EQ(s.count, 10);
  EXPECT_EQ(binder().parse(one("momentum", "0")).momentum, 0.0);
}

TEST(ConfigRanges, ValuesOutOfRangeNameTheOwnerKeyAndRange) {
  EXPECT_EQ(error_of(one("count", "11")), "searcher demo: count must be an integer in [1, 10], got 11");
  EXPECT_EQ(error_of(one("count", "0")), "searcher demo: count must be an integer in [1, 10], got 0");
  EXPECT_EQ(error_of(one("rate", "0")), "searcher demo: rate must be a finite number > 0, got 0");
  EXPECT_EQ(error_of(one("momentum", "1")), "searcher demo: momentum must be a finite number in [0, 1), got 1");
  EXPECT_EQ(error_of(one("momentum", "-0.5")), "searcher demo: momentum must be a finite number in [0, 1), got -0.5");
  EXPECT_EQ(error_of(one("low", ".nan")), "searcher demo: low must be a finite number, got nan");
  EXPECT_EQ(error_of(one("rate", ".inf")), "searcher demo: rate must be a finite number > 0, got inf");
}

TEST(ConfigRanges, RulesBetweenKeysAreChecked) {
  EXPECT_EQ(error_of(one("low", "5")), "searcher demo: low must be at most high");
  YAML::Node both;
  both["low"] = 5;
  both["high"] = 6;
  EXPECT_EQ(binder().parse(both).low, 5.0);
}

TEST(ConfigRanges, DefaultsAreCheckedToo) {
  struct Derived : Settings {
    Derived() { rate = -1; }  // a derived config that changes a default
  };
  ConfigBinder<Derived> b("searcher derived");
  b.field("rate", &Derived::rate, "Step size", range::positive());
  EXPECT_THROW(b.parse(YAML::Node()), nas::Error);
}

TEST(ConfigRanges, TheHelpStatesTheRange) {
  const auto fields = binder().fields();
  EXPECT_EQ(fields[0].help, "How many; an integer in [1, 10]");
  EXPECT_EQ(fields[1].help, "Step size; a finite number > 0");
  EXPECT_EQ(fields[2].help, "Momentum; a finite number in [0, 1)");
}

TEST(ConfigRanges, ContainsRejectsNonFiniteValues) {
  EXPECT_FALSE(range::finite().contains(std::numeric_limits<double>::quiet_NaN()));
  EXPECT_FALSE(range::at_least(0).contains(std::numeric_limits<double>::infinity()));
  EXPECT_TRUE(range::at_least(0).contains(0));
  EXPECT_FALSE(range::positive().contains(0));
  EXPECT_TRUE(range::between(0, 1).contains(1));
  EXPECT_FALSE(range::below_one().contains(1));
}

}  // namespace
}  // namespace nas::algorithms
