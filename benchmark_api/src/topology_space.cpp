// Topology space: arch strings, the official index order and the isomorphism canonical form.
#include "nas/benchmark_api/topology_space.h"

#include <algorithm>
#include <vector>

#include "nas/benchmark_api/cpython_random.h"
#include "nas/benchmark_api/error.h"

namespace nas::bench {
namespace {

constexpr std::array<std::string_view, kTssNumOps> kOpNames{"none", "skip_connect", "nor_conv_1x1",
                                                            "nor_conv_3x3", "avg_pool_3x3"};

// ---- The official index order -------------------------------------------------------------------
// NATS-Bench lists the cells in canonical (odometer) order and then shuffles that list with CPython's
// `random.seed(88); random.shuffle(list)` (reproduced exactly by cpython_random.h).

struct IndexTables {
  std::array<std::uint16_t, kTssNumArchs> canonical_of_index{};
  std::array<std::uint16_t, kTssNumArchs> index_of_canonical{};

  IndexTables() {
    std::vector<std::uint16_t> order(kTssNumArchs);
    for (std::uint32_t c = 0; c < kTssNumArchs; ++c) order[c] = static_cast<std::uint16_t>(c);
    cpython_shuffle(order, 88);
    for (std::uint32_t i = 0; i < kTssNumArchs; ++i) {
      canonical_of_index[i] = order[i];
      index_of_canonical[order[i]] = static_cast<std::uint16_t>(i);
    }
  }
};

const IndexTables& index_tables() {
  static const IndexTables tables;  // thread-safe one-time initialisation, ~0.1 ms
  return tables;
}

// ---- Parsing ---------------------------------------------------------------------------------------

[[noreturn]] void throw_parse_error(std::string_view text, const std::string& what) {
  throw Error("malformed topology arch string '" + std::string(text.substr(0, 200)) + "': " + what +
              " (expected e.g. |nor_conv_3x3~0|+|none~0|nor_conv_3x3~1|+|skip_connect~0|none~1|skip_connect~2|)");
}

int parse_op_name(std::string_view name) {
  for (int op = 0; op < kTssNumOps; ++op) {
    if (kOpNames[op] == name) return op;
  }
  return -1;
}

}  // namespace

std::string_view tss_op_name(int op) {
  if (op < 0 || op >= kTssNumOps) throw Error("topology op code out of range: " + std::to_string(op));
  return kOpNames[op];
}

TssArch parse_tss_arch(std::string_view text) {
  TssArch arch;
  std::size_t pos = 0;
  int edge = 0;
  for (int node = 1; node < kTssNumNodes; ++node) {
    if (node > 1) {
      if (pos >= text.size() || text[pos] != '+') throw_parse_error(text, "expected '+' before node " + std::to_string(node));
      ++pos;
    }
    if (pos >= text.size() || text[pos] != '|') throw_parse_error(text, "expected '|' to open node " + std::to_string(node));
    ++pos;
    for (int input = 0; input < node; ++input, ++edge) {
      const std::size_t tilde = text.find('~', pos);
      const std::size_t bar = text.find('|', pos);
      if (tilde == std::string_view::npos || bar == std::string_view::npos || tilde > bar) {
        throw_parse_error(text, "node " + std::to_string(node) + " needs " + std::to_string(node) +
                                    " inputs written op~input");
      }
      const std::string_view op_name = text.substr(pos, tilde - pos);
      const int op = parse_op_name(op_name);
      if (op < 0) throw_parse_error(text, "unknown operation '" + std::string(op_name) + "'");
      const std::string_view input_text = text.substr(tilde + 1, bar - tilde - 1);
      if (input_text.size() != 1 || input_text[0] != static_cast<char>('0' + input)) {
        throw_parse_error(text, "node " + std::to_string(node) + " input " + std::to_string(input) + " written as '~" +
                                    std::string(input_text) + "'; inputs must be listed in order ~0, ~1, ...");
      }
      arch.ops[edge] = static_cast<std::uint8_t>(op);
      pos = bar + 1;
    }
  }
  if (pos != text.size()) throw_parse_error(text, "unexpected text after the third node");
  return arch;
}

std::string format_tss_arch(const TssArch& arch) {
  std::string out;
  out.reserve(96);
  int edge = 0;
  for (int node = 1; node < kTssNumNodes; ++node) {
    if (node > 1) out += '+';
    out += '|';
    for (int input = 0; input < node; ++input, ++edge) {
      out += tss_op_name(arch.ops[edge]);
      out += '~';
      out += static_cast<char>('0' + input);
      out += '|';
    }
  }
  return out;
}

std::uint32_t tss_canonical_code(const TssArch& arch) {
  std::uint32_t code = 0;
  for (int e = 0; e < kTssNumEdges; ++e) {
    if (arch.ops[e] >= kTssNumOps) throw Error("topology op code out of range: " + std::to_string(arch.ops[e]));
    code = code * kTssNumOps + arch.ops[e];
  }
  return code;
}

TssArch tss_arch_from_canonical_code(std::uint32_t code) {
  if (code >= kTssNumArchs) throw Error("topology canonical code out of range: " + std::to_string(code));
  TssArch arch;
  for (int e = kTssNumEdges - 1; e >= 0; --e) {
    arch.ops[e] = static_cast<std::uint8_t>(code % kTssNumOps);
    code /= kTssNumOps;
  }
  return arch;
}

std::uint32_t tss_index_of(const TssArch& arch) {
  return index_tables().index_of_canonical[tss_canonical_code(arch)];
}

TssArch tss_arch_at(std::uint32_t index) {
  if (index >= kTssNumArchs) {
    throw Error("topology arch index " + std::to_string(index) + " out of range [0, " +
                std::to_string(kTssNumArchs - 1) + "]");
  }
  return tss_arch_from_canonical_code(index_tables().canonical_of_index[index]);
}

std::string tss_unique_str(const TssArch& arch) {
  // A node's string is the sorted '+'-join of its inputs' strings: an input through `none`, or from
  // a node that is exactly zero ("#"), is "#"; skip_connect passes its input's string unchanged; any
  // other op wraps it as "(input)@op". Sorting makes the form independent of input order.
  std::array<std::string, kTssNumNodes> node_str;
  node_str[0] = "0";
  int edge = 0;
  for (int node = 1; node < kTssNumNodes; ++node) {
    std::vector<std::string> inputs;
    for (int input = 0; input < node; ++input, ++edge) {
      const int op = arch.ops[edge];
      if (op == kOpNone || node_str[input] == "#") {
        inputs.emplace_back("#");
      } else if (op == kOpSkip) {
        inputs.push_back(node_str[input]);
      } else {
        inputs.push_back("(" + node_str[input] + ")@" + std::string(kOpNames[op]));
      }
    }
    std::sort(inputs.begin(), inputs.end());
    std::string joined;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
      if (i > 0) joined += '+';
      joined += inputs[i];
    }
    node_str[node] = std::move(joined);
  }
  return node_str[kTssNumNodes - 1];
}

bool tss_is_valid(const TssArch& arch) {
  std::array<bool, kTssNumNodes> reachable{true, false, false, false};
  int edge = 0;
  for (int node = 1; node < kTssNumNodes; ++node) {
    for (int input = 0; input < node; ++input, ++edge) {
      if (arch.ops[edge] != kOpNone && reachable[input]) reachable[node] = true;
    }
  }
  return reachable[kTssNumNodes - 1];
}

}  // namespace nas::bench
