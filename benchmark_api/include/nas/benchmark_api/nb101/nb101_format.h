// The text forms of a NAS-Bench-101 cell: one to type on a command line, and nasbench's JSON.
//
// Command-line form: the ops, a colon, the edges, nothing else (no spaces, nothing a shell would
// interpret, so it needs no quotes):
//     in,c3,mp,c3,c3,c1,out:0-1,0-4,0-5,1-2,2-3,2-6,3-5,4-5,5-6
// Ops are listed from vertex 0 on, by their short names (in, c3 = conv3x3-bn-relu, c1 =
// conv1x1-bn-relu, mp = maxpool3x3, out) or nasbench's names; an edge `x-y` goes from vertex x to a
// higher vertex y. The edges may be listed in any order, each once; an empty edge list ("in,out:")
// is well formed (and invalid, as the output is unreachable). format_nb101_text writes short names
// and the edges ordered by source, then target, so format(parse(text)) == text for any text that
// format wrote, and parse(format(spec)) == spec for every cell.
//
// JSON form: the arguments of nasbench's ModelSpec, as the NAS-Bench-101 README writes them:
//     {"matrix":[[0,1,0],[0,0,1],[0,0,0]],"ops":["input","conv3x3-bn-relu","output"]}
// Exactly these two keys; entries 0 or 1 (integers); op names as above.
//
// Both parse into an Nb101Graph, which may still need pruning; the *_spec parsers prune and check it
// (Nb101Spec::from_graph). Errors are nas::Error, quoting the text and naming the problem.
#pragma once

#include <string>
#include <string_view>

#include "nas/benchmark_api/nb101/nb101_spec.h"

namespace nas::bench {

Nb101Graph parse_nb101_text(std::string_view text);
std::string format_nb101_text(const Nb101Graph& graph);  ///< graph must pass check_nb101_shape
std::string format_nb101_text(const Nb101Spec& spec);

Nb101Graph parse_nb101_json(std::string_view json);
std::string format_nb101_json(const Nb101Graph& graph);  ///< graph must pass check_nb101_shape
std::string format_nb101_json(const Nb101Spec& spec);

/// A cell in either form: JSON if the text starts with '{', else the command-line form; pruned and
/// checked.
Nb101Spec parse_nb101_spec(std::string_view text);

}  // namespace nas::bench
