// NAS-Bench-101 as a space of the suite: its facts and its SearchSpace (see nb101_space.h).
#include <algorithm>
#include <cmath>
#include <limits>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/nb101/nb101_cells.h"
#include "nas/benchmark_api/nb101/nb101_cost.h"
#include "nas/benchmark_api/nb101/nb101_format.h"
#include "nas/benchmark_api/nb101/nb101_space.h"
#include "nas/benchmark_api/search_space.h"
#include "nas/benchmark_api/store.h"
#include "nas/benchmark_api/trial_record.h"
#include "spaces/registered_spaces.h"

namespace nas::bench {

namespace {

constexpr int kOutputVertex = kNb101MaxVertices - 1;  // vertex 6 of the 7-vertex form

// The number a vertex of a V-vertex cell has in the 7-vertex form: the output moves to vertex 6.
int padded_vertex(int vertex, int vertices) { return vertex == vertices - 1 ? kOutputVertex : vertex; }

}  // namespace

ColumnKey nb101_accuracy_column(EvalSet set, int hp, std::int32_t repeat) {
  return {Dataset::Cifar10, set, Quantity::Accuracy, static_cast<std::uint16_t>(hp), repeat};
}

ColumnKey nb101_time_column(int hp, std::int32_t repeat) {
  return {Dataset::Cifar10, EvalSet::Train, Quantity::Time, static_cast<std::uint16_t>(hp), repeat};
}

ColumnKey nb101_params_column() {
  return {Dataset::Cifar10, EvalSet::Train, Quantity::Params, static_cast<std::uint16_t>(kNb101FinalHp), kMeanSeed};
}

std::vector<int> nb101_decisions_of(const Nb101Spec& spec) {
  std::vector<int> choices(kNb101NumDecisions, 0);  // absent edges, conv3x3 on unused vertices
  const int vertices = spec.num_vertices();
  for (int to = 1; to < vertices; ++to) {
    for (int from = 0; from < to; ++from) {
      if (spec.has_edge(from, to)) choices[nb101_edge_bit(padded_vertex(from, vertices), padded_vertex(to, vertices))] = 1;
    }
  }
  for (int v = 1; v < vertices - 1; ++v) choices[static_cast<std::size_t>(kNb101EdgeBits + v - 1)] = nb101_op_label(spec.op(v));
  return choices;
}

Nb101Graph nb101_graph_of_decisions(const std::vector<int>& choices) {
  Nb101Graph graph;
  graph.matrix.assign(kNb101MaxVertices, std::vector<int>(kNb101MaxVertices, 0));
  for (int to = 1; to < kNb101MaxVertices; ++to) {
    for (int from = 0; from < to; ++from) graph.matrix[static_cast<std::size_t>(from)][static_cast<std::size_t>(to)] = choices[static_cast<std::size_t>(nb101_edge_bit(from, to))];
  }
  graph.ops.push_back(Nb101Op::Input);
  for (int v = 1; v < kOutputVertex; ++v) graph.ops.push_back(static_cast<Nb101Op>(choices[static_cast<std::size_t>(kNb101EdgeBits + v - 1)]));
  graph.ops.push_back(Nb101Op::Output);
  return graph;
}

namespace {

/// The cell of 26 choices (in range), before pruning; std::nullopt if they make no cell.
std::optional<Nb101Spec> spec_of_decisions(const std::vector<int>& choices) {
  std::uint32_t edges = 0;
  for (int bit = 0; bit < kNb101EdgeBits; ++bit) edges |= static_cast<std::uint32_t>(choices[static_cast<std::size_t>(bit)] != 0) << bit;
  std::uint16_t ops = 0;
  for (int v = 1; v < kOutputVertex; ++v) {
    ops = static_cast<std::uint16_t>(ops | static_cast<unsigned>(choices[static_cast<std::size_t>(kNb101EdgeBits + v - 1)]) << (2 * (v - 1)));
  }
  return Nb101Spec::try_from_full_graph(edges, ops);
}

/// The cell at an index, with the index checked.
const Nb101Spec& cell_at(ArchId arch) {
  const Nb101Cells& cells = Nb101Cells::get();
  if (arch >= cells.size()) {
    throw Error("nb101 arch index " + std::to_string(arch) + " is out of range [0, " + std::to_string(cells.size() - 1) + "]");
  }
  return cells.spec(arch);
}

ArchId parse_nb101_arch(std::string_view text) { return Nb101Cells::get().index_of(parse_nb101_spec(text)); }

/// A mutation that finds no valid, different cell in this many draws is a bug, not bad luck: about
/// 60% of the draws are such a cell (measured from uniformly drawn parents).
constexpr int kMaxMutationDraws = 100000;

class Nb101SearchSpace final : public SearchSpace {
 public:
  Space space() const override { return Space::Nb101; }
  std::uint32_t size() const override { return kNb101NumCells; }
  std::string format(ArchId arch) const override { return format_nb101_text(cell_at(arch)); }
  ArchId parse(std::string_view text) const override { return parse_nb101_arch(text); }
  int num_decisions() const override { return kNb101NumDecisions; }
  int num_choices(int decision) const override { return decision < kNb101EdgeBits ? 2 : kNb101NumInteriorOps; }
  std::string decision_name(int decision) const override {
    if (decision >= kNb101EdgeBits) return "op-" + std::to_string(decision - kNb101EdgeBits + 1);
    int to = 1;
    while (nb101_edge_bit(0, to + 1) <= decision) ++to;
    return std::to_string(decision - nb101_edge_bit(0, to)) + "->" + std::to_string(to);
  }
  std::string choice_name(int decision, int choice) const override {
    if (decision < kNb101EdgeBits) return choice == 0 ? "absent" : "present";
    return std::string(nb101_op_short_name(static_cast<Nb101Op>(choice)));
  }
  std::vector<int> decisions(ArchId arch) const override { return nb101_decisions_of(cell_at(arch)); }
  ArchId from_decisions(const std::vector<int>& choices) const override {
    check_choices(choices);
    if (const std::optional<Nb101Spec> spec = spec_of_decisions(choices)) return Nb101Cells::get().index_of(*spec);
    Nb101Spec::from_graph(nb101_graph_of_decisions(choices));  // throws, saying why these choices are no cell
    throw Error("nb101 choices that are no cell");              // not reached
  }
  std::optional<ArchId> try_from_decisions(const std::vector<int>& choices) const override {
    check_choices(choices);
    const std::optional<Nb101Spec> spec = spec_of_decisions(choices);
    if (!spec) return std::nullopt;
    return Nb101Cells::get().index_of(*spec);
  }
  /// Uniform over the 423,624 cells (a uniform draw of the 26 choices would favour cells with many
  /// unpruned forms, and about a quarter of such draws are no cell at all).
  ArchId sample(Rng& rng) const override { return static_cast<ArchId>(rng.uniform_int(kNb101NumCells)); }
  /// The NAS-Bench-101 colab's mutate_spec at mutation rate 1, on the cell's 7-vertex form: each of
  /// the 21 edge bits flips with probability 1/7 and each of the 5 inner ops becomes one of the
  /// other two ops with probability 1/5, drawn again until the result is a valid cell. One
  /// difference, on purpose: a draw that gives the same cell back (no change, or changes that
  /// pruning removes) is drawn again too, as the suite's other mutations never return their input
  /// (re-evaluating the parent would spend the budget on a known cell). The population holds
  /// indices, so the unpruned form mutated is the cell's padded form (nb101_decisions_of), not an
  /// unpruned graph the search once sampled.
  ArchId mutate(ArchId arch, Rng& rng) const override {
    const std::vector<int> parent = nb101_decisions_of(cell_at(arch));
    const Nb101Cells& cells = Nb101Cells::get();
    for (int draw = 0; draw < kMaxMutationDraws; ++draw) {
      std::vector<int> child = parent;
      for (int from = 0; from < kOutputVertex; ++from) {  // the colab's loop order: source, then target
        for (int to = from + 1; to <= kOutputVertex; ++to) {
          int& bit = child[static_cast<std::size_t>(nb101_edge_bit(from, to))];
          if (rng.uniform01() < 1.0 / kNb101MaxVertices) bit = 1 - bit;
        }
      }
      for (int v = 1; v < kOutputVertex; ++v) {
        int& op = child[static_cast<std::size_t>(kNb101EdgeBits + v - 1)];
        if (rng.uniform01() < 1.0 / (kNb101MaxVertices - 2)) op = (op + 1 + static_cast<int>(rng.uniform_int(kNb101NumInteriorOps - 1))) % kNb101NumInteriorOps;
      }
      const std::optional<Nb101Spec> spec = spec_of_decisions(child);
      if (!spec) continue;
      const ArchId mutated = cells.index_of(*spec);
      if (mutated != arch) return mutated;
    }
    throw Error("no valid mutation of nb101 cell " + std::to_string(arch) + " in " + std::to_string(kMaxMutationDraws) + " draws");
  }
  /// The module hash: equal exactly for isomorphic cells.
  std::string canonical_form(ArchId arch) const override {
    cell_at(arch);
    return Nb101Cells::get().hash(arch).hex();
  }
};

class Nb101Definition final : public SpaceDefinition {
 public:
  Space id() const override { return Space::Nb101; }
  std::string_view name() const override { return "nb101"; }
  std::vector<std::string_view> aliases() const override { return {"nasbench101"}; }
  std::string_view description() const override {
    return "NAS-Bench-101: cells of up to 7 vertices and 9 edges, 3 ops, CIFAR-10";
  }
  std::uint32_t num_archs() const override { return kNb101NumCells; }
  /// As the official records: the evaluations at the halfway and the last epoch (train accuracy =
  /// the un-augmented evaluation on training images, validation, test) and the cumulative training
  /// time there, under the trial id `seed`; trainable parameters in millions.
  void add_trial(const TrialRecord& record, StoreWriter& writer) const override {
    require_trial_of(*this, record);
    const std::vector<int> schedules = fidelities();
    if (std::find(schedules.begin(), schedules.end(), record.hp) == schedules.end()) {
      throw Error("trial of cell " + std::to_string(record.index) + " trained " + std::to_string(record.hp) +
                  " epochs: NAS-Bench-101's schedules are 4, 12, 36 and 108 epochs");
    }
    const std::string what = "trial of cell " + std::to_string(record.index);
    const int slots[2] = {record.hp / 2 - 1, record.hp - 1};
    const auto value_at = [&](const TrialSeries& series, int epoch, const char* name) {
      const double v = series.accuracy[static_cast<std::size_t>(epoch)];
      if (std::isnan(v)) throw Error(what + " has no " + name + " accuracy at epoch " + std::to_string(epoch + 1));
      return v;
    };
    const auto put_accuracy = [&](EvalSet set, const TrialSeries& series, const char* name) {
      const ColumnKey key = nb101_accuracy_column(set, record.hp, record.seed);
      writer.add_column(key, 2, kNb101AccuracyFlags);
      writer.set(key, record.index, kNb101HalfwaySlot, value_at(series, slots[0], name));
      writer.set(key, record.index, kNb101FinalSlot, value_at(series, slots[1], name));
    };
    if (!record.train_evaluation) throw Error(what + " has no evaluation on training images (train-eval)");
    put_accuracy(EvalSet::Train, *record.train_evaluation, "train-eval");
    for (EvalSet set : {EvalSet::XValid, EvalSet::OriTest}) {
      const auto it = record.sets.find(set);
      if (it == record.sets.end()) throw Error(what + " has no " + std::string(eval_set_name(set)) + " evaluation");
      put_accuracy(set, it->second, std::string(eval_set_name(set)).c_str());
    }
    const ColumnKey time = nb101_time_column(record.hp, record.seed);
    writer.add_column(time, 2, kNb101TimeFlags);
    const std::vector<double>& epoch_times = record.sets.at(EvalSet::Train).time;
    double cumulative = 0;
    for (int e = 0; e < record.hp; ++e) {
      cumulative += epoch_times[static_cast<std::size_t>(e)];
      if (e == slots[0]) writer.set(time, record.index, kNb101HalfwaySlot, cumulative);
      if (e == slots[1]) writer.set(time, record.index, kNb101FinalSlot, cumulative);
    }
    writer.add_column(nb101_params_column(), 1);
    writer.set(nb101_params_column(), record.index, 0, record.params_m);
  }
  std::string format_arch(ArchId arch) const override { return format_nb101_text(cell_at(arch)); }
  ArchId parse_arch(std::string_view text) const override { return parse_nb101_arch(text); }
  std::string_view arch_syntax() const override {
    return "in,c3,mp,...,out:0-1,0-4,... or {\"matrix\": [[...]], \"ops\": [...]}";
  }
  std::vector<ArchDetail> arch_details(ArchId arch) const override {
    cell_at(arch);
    return {{"hash", Nb101Cells::get().hash(arch).hex()}};
  }
  ArchId arch_of_hash(std::string_view hex) const override {
    const Nb101Hash hash = Nb101Hash::from_hex(hex);
    const std::optional<std::uint32_t> index = Nb101Cells::get().find(hash);
    if (!index) throw Error("no NAS-Bench-101 cell has the hash " + hash.hex() + " (it is not one of the 423,624 cells)");
    return *index;
  }
  std::unique_ptr<SearchSpace> make_search_space() const override { return std::make_unique<Nb101SearchSpace>(); }
  std::vector<Dataset> datasets() const override { return {Dataset::Cifar10}; }
  /// Trained on CIFAR-10 data_batch_1-4 (40k); validated on data_batch_5, the 10k held-out training
  /// images (x-valid); tested on the 10k test images (ori-test).
  std::optional<MetricSource> resolve_split(Dataset dataset, Split split) const override {
    if (dataset != Dataset::Cifar10) return std::nullopt;
    return MetricSource{Dataset::Cifar10, split == Split::Valid ? EvalSet::XValid : EvalSet::OriTest};
  }
  SearchSignal search_signal(Dataset) const override { return {Dataset::Cifar10, EvalSet::XValid, std::nullopt, false}; }
  std::vector<int> fidelities() const override { return {kNb101Fidelities.begin(), kNb101Fidelities.end()}; }
  int search_hp() const override { return kNb101FinalHp; }
  int final_hp() const override { return kNb101FinalHp; }
  /// Each schedule is a run of its own (the official data trains every cell for 4, 12, 36 and 108
  /// epochs independently), so BOHB's budgets 4/12/36/108 read the end of those runs.
  bool budgets_are_separate_runs() const override { return true; }
  std::string describe_trial(std::int32_t seed) const override {
    if (seed == kNb101UnknownRepeat) return "0 (one repeat; which one the source did not record)";
    return std::to_string(seed) + " (repeat " + std::to_string(seed) + " of " + std::to_string(kNb101NumRepeats) + ")";
  }
  DefaultBudget default_budget(Dataset) const override { return {kNb101DefaultBudgetSeconds, 0}; }
  /// The colab's budget counts the returned training_time only.
  bool charges_evaluation_time() const override { return false; }
  bool log_time_axis() const override { return true; }
  std::string_view shipped_store() const override { return "nasbench101-partial-cifar10.nasbench"; }
  std::string how_to_import() const override {
    return "the full data is the official nasbench_only108.tfrecord (or nasbench_full.tfrecord, "
           "https://storage.googleapis.com/nasbench/), to be imported with "
           "`nas bench import nb101 --src nasbench_only108.tfrecord --out FILE`";
  }
  std::string_view decision_word() const override { return "edge/vertex"; }
  std::string_view choice_word() const override { return "bit/op"; }
  NetworkCost cost(ArchId arch, Dataset) const override {
    const Nb101Cost c = nb101_network_cost(cell_at(arch));
    return {static_cast<double>(c.params) / 1e6, static_cast<double>(c.macs) / 1e6};
  }
};

}  // namespace

const SpaceDefinition& nb101_space_definition() {
  static const Nb101Definition definition;
  return definition;
}

}  // namespace nas::bench
