// libFuzzer target for the experiment file loader (experiments/src/experiment_config.h).
//
// The input is an experiment YAML file. It is written to a temporary file and given to
// read_plugin_list and to load_experiment with a registry of the built-in searchers only: plugins
// are parsed but never loaded (no dlopen of paths from the input). Both must succeed or throw
// nas::Error; anything else (a crash, a sanitizer report, another exception type such as a yaml-cpp
// one, a hang, running out of memory) is a bug. A loaded config is also resolved to YAML and hashed,
// and every budget it describes is computed. Searcher defaults come from the source tree's
// configs/algorithms (or NAS_CONFIG_DIR). Seeds: tests/fuzz/corpus/experiment_yaml (and
// configs/experiments); dictionary: tests/fuzz/experiment_yaml.dict.
// Run: fuzz_experiment_yaml -use_value_profile=1 -dict=tests/fuzz/experiment_yaml.dict SCRATCH_DIR
//      tests/fuzz/corpus/experiment_yaml configs/experiments (see tests/fuzz/CMakeLists.txt).
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <utility>

#include "experiment_config.h"
#include "nas/algorithms/registry.h"
#include "nas/benchmark_api/error.h"

namespace {

// The file each input is written to (one per process), removed when the fuzzer exits normally.
struct TempFile {
  explicit TempFile(std::string p) : path(std::move(p)) {}
  ~TempFile() { std::remove(path.c_str()); }
  std::string path;
};

const nas::algorithms::SearcherRegistry& builtin_registry() {
  static const nas::algorithms::SearcherRegistry registry = [] {
    nas::algorithms::SearcherRegistry r;
    nas::algorithms::register_builtin_searchers(r);
    return r;
  }();
  return registry;
}

// Anything that is not nas::Error escaping the loader is a finding: say what it was, then abort.
template <typename F>
void expect_error_or_success(const char* what, F&& call) {
  try {
    call();
  } catch (const nas::Error&) {
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s threw a non-nas::Error exception: %s\n", what, e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "%s threw a non-std::exception\n", what);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const TempFile temp("/tmp/nas_fuzz_experiment_" + std::to_string(::getpid()) + ".yaml");
  const std::string& path = temp.path;
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return 0;
  const bool written = std::fwrite(data, 1, size, file) == size;
  if (std::fclose(file) != 0 || !written) return 0;
  using namespace nas::experiments;
  expect_error_or_success("read_plugin_list", [&] { (void)read_plugin_list(read_experiment_file(path)); });
  expect_error_or_success("load_experiment", [&] {
    const ExperimentConfig config = load_experiment(read_experiment_file(path), builtin_registry());
    for (nas::bench::Space space : config.spaces) {
      for (nas::bench::Dataset dataset : config.datasets) (void)config.budget_for(space, dataset);
    }
    (void)config_hash(config);
  });
  return 0;
}
