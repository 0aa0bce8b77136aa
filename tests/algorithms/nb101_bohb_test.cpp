// BOHB on nb101, whose budgets are separate training runs (SpaceDefinition::budgets_are_separate_runs):
// with its default range it runs Hyperband over the 4-, 12-, 36- and 108-epoch runs at eta 3, reads
// each at the end of its own run, is charged that run's training time, and reports the incumbent of
// the 108-epoch runs. The store is synthetic (written here): every cell has one repeat of every
// schedule, whose accuracy and cumulative training time grow with the schedule, so a wrong schedule
// shows in both.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <unistd.h>

#include "nas/algorithms/registry.h"
#include "nas/benchmark_api/benchmark.h"
#include "nas/benchmark_api/nb101/nb101_cells.h"
#include "nas/benchmark_api/nb101/nb101_space.h"

namespace nas::algorithms {
namespace {

/// Test data, not NAS-Bench-101's: accuracy rises with the schedule and with the cell's share of
/// conv3x3 vertices; a run of E epochs takes 10 s per epoch.
double synthetic_accuracy(std::uint32_t index, int hp) {
  const bench::Nb101Spec& spec = bench::Nb101Cells::get().spec(index);
  const int inner = spec.num_vertices() - 2;
  int convs = 0;
  for (int v = 1; v <= inner; ++v) convs += spec.op(v) == bench::Nb101Op::Conv3x3 ? 1 : 0;
  return 40.0 + hp / 4.0 + (inner == 0 ? 0.0 : 10.0 * convs / inner) + (index % 97) * 1e-4;
}
double synthetic_time(int hp) { return 10.0 * hp; }

std::string write_store(const std::vector<int>& schedules) {
  std::string name = "nas_nb101_bohb_" + std::to_string(::getpid());
  for (int hp : schedules) name += "_" + std::to_string(hp);
  const std::string path = (std::filesystem::temp_directory_path() / (name + ".nasbench")).string();
  bench::StoreWriter writer(bench::Space::Nb101, "synthetic nb101 test store (not NAS-Bench-101 data)");
  for (int hp : schedules) {
    const bench::ColumnKey accuracy = bench::nb101_accuracy_column(bench::EvalSet::XValid, hp, 1);
    const bench::ColumnKey time = bench::nb101_time_column(hp, 1);
    writer.add_dense_column(accuracy, 2, bench::kNb101AccuracyFlags);
    writer.add_dense_column(time, 2, bench::kNb101TimeFlags);
    for (std::uint32_t index = 0; index < bench::kNb101NumCells; ++index) {
      writer.set(accuracy, index, bench::kNb101FinalSlot, synthetic_accuracy(index, hp));
      writer.set(time, index, bench::kNb101HalfwaySlot, synthetic_time(hp) / 2);
      writer.set(time, index, bench::kNb101FinalSlot, synthetic_time(hp));
    }
  }
  writer.write(path);
  return path;
}

const bench::Benchmark& store_with(const std::vector<int>& schedules) {
  static std::map<std::vector<int>, bench::Benchmark> stores;
  auto it = stores.find(schedules);
  if (it == stores.end()) {
    const std::string path = write_store(schedules);
    it = stores.emplace(schedules, bench::Benchmark::open(path, bench::Space::Nb101)).first;
    std::filesystem::remove(path);  // the store keeps its file open
  }
  return it->second;
}

struct Recorder : SearchCallbacks {
  std::vector<Evaluation> evaluations;
  void on_evaluation(const Evaluation& evaluation, const TrajectoryPoint&) override { evaluations.push_back(evaluation); }
};

SearchResult run_bohb(const bench::Benchmark& benchmark, Recorder& recorder, const std::string& yaml = "{}") {
  SearcherRegistry registry;
  register_builtin_searchers(registry);
  QueryTask task{&benchmark.search_space(), &benchmark, bench::Dataset::Cifar10, {0, 0}};
  task.budget.queries = 400;
  Rng rng(11);
  return registry.create_query("bohb", YAML::Load(yaml))->search(task, rng, recorder);
}

TEST(Nb101Bohb, RunsHyperbandOverTheFourSchedulesAsSeparateRuns) {
  Recorder recorder;
  const SearchResult result = run_bohb(store_with({4, 12, 36, 108}), recorder);
  ASSERT_EQ(recorder.evaluations.size(), 400u);
  std::map<int, int> per_schedule;
  for (const Evaluation& e : recorder.evaluations) {
    ++per_schedule[e.hp];
    ASSERT_EQ(e.epoch, e.hp - 1) << "read at the end of its own run";
    ASSERT_EQ(e.valid_accuracy, synthetic_accuracy(e.arch, e.hp));
    ASSERT_EQ(e.time_cost_s, synthetic_time(e.hp)) << "charged the whole run of that schedule";
  }
  // The first bracket (3 halvings): 27 configs at 4 epochs, then 9 at 12, 3 at 36, 1 at 108.
  for (std::size_t i = 0; i < 40; ++i) {
    const int expected = i < 27 ? 4 : i < 36 ? 12 : i < 39 ? 36 : 108;
    ASSERT_EQ(recorder.evaluations[i].hp, expected) << i;
  }
  EXPECT_EQ((std::set<int>{4, 12, 36, 108}), [&] {
    std::set<int> seen;
    for (const auto& [hp, count] : per_schedule) seen.insert(hp);
    return seen;
  }());
  // The incumbent is the best 108-epoch run.
  double best = -1;
  for (const Evaluation& e : recorder.evaluations) {
    if (e.hp == 108) best = std::max(best, e.valid_accuracy);
  }
  EXPECT_EQ(result.valid_accuracy, best);
  bool named = false;
  for (const std::string& note : result.notes) named = named || note.find("separate runs of {4, 12, 36, 108} epochs") != std::string::npos;
  EXPECT_TRUE(named) << "the result's notes name the schedules";
}

TEST(Nb101Bohb, SchedulesTheDataLacksAreDroppedAndBudgetsThatAreNoScheduleRefused) {
  Recorder recorder;
  const SearchResult result = run_bohb(store_with({108}), recorder);
  for (const Evaluation& e : recorder.evaluations) ASSERT_EQ(e.hp, 108);
  bool dropped = false;
  for (const std::string& note : result.notes) dropped = dropped || note.find("no 4, 12, 36-epoch runs") != std::string::npos;
  EXPECT_TRUE(dropped);

  Recorder other;
  try {
    run_bohb(store_with({108}), other, "{eta: 2}");  // budgets 6.75, 13.5, 27, 54, 108
    ADD_FAILURE() << "budgets 6.75 ... 54 are no nb101 schedules";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("separate training run"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace nas::algorithms
