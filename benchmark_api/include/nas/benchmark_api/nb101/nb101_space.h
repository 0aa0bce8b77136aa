// NAS-Bench-101 as a space of the suite ("nb101"): the facts its SpaceDefinition states and the
// encoding its SearchSpace uses (spaces/nb101/nb101_definition.cpp).
//
//  - Index order: the enumeration order (nb101_enumeration.h); cell 0 is input -> output.
//  - Arch strings: the command-line form and nasbench's JSON form (nb101_format.h). Any graph that
//    prunes to a cell, and any renumbering of it, names the cell of its module hash; arch strings
//    are printed in the stored representative's command-line form.
//  - The canonical form of a cell is its module hash, which `nas bench info` and `export` print.
//  - Data: CIFAR-10 only, trained on 40k images; "valid" is the 10k held-out training batch
//    (stored as x-valid), "test" the 10k test images (ori-test). Schedules 4, 12, 36, 108 epochs,
//    each an independent training run (not epochs of one run). Searches read 108 (the NAS-Bench-101
//    colab and paper search on the 108-epoch data) and report at 108.
//  - Trials: the official files hold 3 repeats per cell and schedule, which stores name by trial
//    ids 1, 2, 3 (file order); trial id 0 is one repeat whose position the source did not record
//    (the nasbench-vis subsets of the shipped partial store).
//  - Default budget: 5e6 simulated seconds of training, the budget of the NAS-Bench-101 colab's
//    random search and regularized evolution (its training_time_spent counter). An evaluation costs
//    its training time only (the data has no evaluation times; charges_evaluation_time is false).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "nas/benchmark_api/nb101/nb101_spec.h"
#include "nas/benchmark_api/store.h"

namespace nas::bench {

inline constexpr std::array<int, 4> kNb101Fidelities{4, 12, 36, 108};
inline constexpr int kNb101FinalHp = 108;
inline constexpr double kNb101DefaultBudgetSeconds = 5e6;
inline constexpr int kNb101NumRepeats = 3;
/// The trial id of one repeat whose position in the official file is not known.
inline constexpr std::int32_t kNb101UnknownRepeat = 0;

/// The columns of an nb101 store: what its importers (official tfrecord, NNI's database, the
/// nasbench-vis subsets) write and its exporters read. Dataset key cifar10; per schedule hp (4, 12,
/// 36, 108) and repeat (trial id 1, 2, 3 = the file order of the official records; 0 = a repeat
/// whose position is unknown):
///   - accuracy in percent (nasbench's fractions x 100) of EvalSet::Train (train_accuracy: a fixed
///     10k subset of the training images), XValid (validation_accuracy) and OriTest (test_accuracy);
///   - EvalSet::Train Quantity::Time: the run's training_time, cumulative seconds;
/// each a halfway-and-last column (the values at epoch hp/2 and hp of the run; slots 0 and 1).
/// Trainable parameters (millions) are one column at hp 108, seed kMeanSeed.
ColumnKey nb101_accuracy_column(EvalSet set, int hp, std::int32_t repeat);
ColumnKey nb101_time_column(int hp, std::int32_t repeat);
ColumnKey nb101_params_column();
inline constexpr std::uint8_t kNb101AccuracyFlags = kColumnHalfwayAndLast;
inline constexpr std::uint8_t kNb101TimeFlags = kColumnHalfwayAndLast | kColumnCumulativeTime;
inline constexpr int kNb101HalfwaySlot = 0;
inline constexpr int kNb101FinalSlot = 1;

/// The searchers' encoding: 21 edge bits (decision nb101_edge_bit(x, y) = edge x -> y, choices
/// 0 absent / 1 present) then the ops of vertices 1..5 (decisions 21..25, choices conv3x3, conv1x1,
/// maxpool3x3) of a 7-vertex graph whose vertex 6 is the output.
inline constexpr int kNb101NumDecisions = kNb101EdgeBits + kNb101MaxVertices - 2;  // 26

/// A cell as 7-vertex choices: a cell of V < 7 vertices keeps its inner vertices 1..V-2, its output
/// moves to vertex 6, and vertices V-1..5 get no edges and conv3x3 (so pruning removes them again).
std::vector<int> nb101_decisions_of(const Nb101Spec& spec);
/// The graph of 26 choices (in range; checked by the caller), before pruning.
Nb101Graph nb101_graph_of_decisions(const std::vector<int>& choices);

}  // namespace nas::bench
