// Benchmark regeneration: the plan, the items of a shard, their records, and the merge (generate.h).
#include "generate.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/file_io.h"
#include "nas/benchmark_api/trial_record.h"

namespace nas::experiments {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

constexpr const char* kPlanFormat = "nas-generate-plan";
constexpr int kPlanVersion = 1;
constexpr std::uint64_t kMaxPlanBytes = 64ull << 20;

std::string plan_path(const std::string& workdir) { return (fs::path(workdir) / "plan.json").string(); }
std::string record_path(const std::string& workdir, const std::string& name) {
  return (fs::path(workdir) / "records" / (name + ".json")).string();
}

/// An exclusive, non-blocking flock(2) on a lock file: held while the object lives (or until the
/// process ends in any way), so a killed task never leaves an item locked.
class ItemLock {
 public:
  explicit ItemLock(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) throw Error("cannot create lock file " + path);
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~ItemLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  ItemLock(const ItemLock&) = delete;
  ItemLock& operator=(const ItemLock&) = delete;
  bool held() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

Json plan_json(const GeneratePlan& p) {
  Json archs = Json::array(), datasets = Json::array(), protocols = Json::object(), overrides = Json::array();
  for (bench::ArchId a : p.archs) archs.push_back(a);
  for (bench::Dataset d : p.datasets) datasets.push_back(std::string(bench::dataset_name(d)));
  for (const auto& [k, v] : p.overrides) overrides.push_back(Json::array({k, v}));
  for (std::size_t i = 0; i < p.hps.size(); ++i) {
    Json fields = Json::object();
    for (const auto& [k, v] : p.protocols.at(i)) fields[k] = v;
    protocols[std::to_string(p.hps[i])] = fields;
  }
  return Json{{"format", kPlanFormat},
              {"version", kPlanVersion},
              {"space", std::string(bench::space_name(p.space))},
              {"archs", archs},
              {"datasets", datasets},
              {"hps", p.hps},
              {"seeds", p.seeds},
              {"overrides", overrides},
              {"protocols", protocols},
              {"items", p.num_items()}};
}

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

/// The first top-level field of two plans that differs, in words.
std::string plan_difference(const Json& there, const Json& here) {
  for (const auto& [key, value] : here.items()) {
    if (!there.contains(key)) return key + ": absent there";
    if (there[key] != value) {
      std::string a = there[key].dump(), b = value.dump();
      if (a.size() > 80) a = a.substr(0, 77) + "...";
      if (b.size() > 80) b = b.substr(0, 77) + "...";
      return key + ": " + a + " there, " + b + " here";
    }
  }
  return "";
}

}  // namespace

std::vector<bench::ArchId> parse_arch_ranges(const std::string& text, const bench::SpaceDefinition& space) {
  std::vector<bench::ArchId> out;
  if (text == "all") {
    for (bench::ArchId a = 0; a < space.num_archs(); ++a) out.push_back(a);
    return out;
  }
  auto number = [&](const std::string& part) -> std::uint64_t {
    if (part.empty() || part.size() > 10 || part.find_first_not_of("0123456789") != std::string::npos) {
      throw Error("--archs '" + text + "': '" + part + "' is not an arch index (use N, A-B, a comma list, or all)");
    }
    const std::uint64_t v = std::stoull(part);
    if (v >= space.num_archs()) {
      throw Error("--archs '" + text + "': " + part + " is outside the " + std::string(space.name()) + " space (0.." +
                  std::to_string(space.num_archs() - 1) + ")");
    }
    return v;
  };
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const std::string part = text.substr(start, end - start);
    const std::size_t dash = part.find('-');
    const std::uint64_t lo = number(dash == std::string::npos ? part : part.substr(0, dash));
    const std::uint64_t hi = dash == std::string::npos ? lo : number(part.substr(dash + 1));
    if (hi < lo) throw Error("--archs '" + text + "': the range " + part + " is empty");
    for (std::uint64_t a = lo; a <= hi; ++a) out.push_back(static_cast<bench::ArchId>(a));
    start = end + 1;
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::pair<int, int> parse_shard(const std::string& text) {
  const std::size_t slash = text.find('/');
  auto is_number = [](const std::string& s) { return !s.empty() && s.size() <= 6 && s.find_first_not_of("0123456789") == std::string::npos; };
  if (slash != std::string::npos && is_number(text.substr(0, slash)) && is_number(text.substr(slash + 1))) {
    const int k = std::stoi(text.substr(0, slash)), n = std::stoi(text.substr(slash + 1));
    if (k >= 1 && k <= n) return {k, n};
  }
  throw Error("--shard '" + text + "' is not K/N with 1 <= K <= N");
}

algorithms::TrainingJob GeneratePlan::job(std::size_t item) const {
  const std::size_t per_arch = datasets.size() * hps.size() * seeds.size();
  const std::size_t per_dataset = hps.size() * seeds.size();
  algorithms::TrainingJob job;
  job.space = space;
  job.arch = archs.at(item / per_arch);
  job.dataset = datasets.at(item % per_arch / per_dataset);
  job.hp = hps.at(item % per_dataset / seeds.size());
  job.seed = seeds.at(item % seeds.size());
  job.overrides = overrides;
  return job;
}

std::string GeneratePlan::json() const { return plan_json(*this).dump(1) + "\n"; }

std::string item_name(const algorithms::TrainingJob& job) {
  char arch[16];
  std::snprintf(arch, sizeof arch, "%06u", static_cast<unsigned>(job.arch));
  return std::string(arch) + "-" + std::string(bench::dataset_name(job.dataset)) + "-" + std::to_string(job.hp) + "-" +
         std::to_string(job.seed);
}

GeneratePlan read_plan(const std::string& workdir) {
  const std::string path = plan_path(workdir);
  try {
    const Json doc = Json::parse(read_regular_file(path, "generation plan", kMaxPlanBytes));
    if (!doc.is_object() || doc.value("format", "") != kPlanFormat || doc.value("version", 0) != kPlanVersion) {
      throw Error("not a nas generation plan (format nas-generate-plan, version 1)");
    }
    GeneratePlan p;
    p.space = bench::parse_space(doc.at("space").get<std::string>());
    for (const auto& a : doc.at("archs")) p.archs.push_back(a.get<bench::ArchId>());
    for (const auto& d : doc.at("datasets")) p.datasets.push_back(bench::parse_dataset(d.get<std::string>()));
    p.hps = doc.at("hps").get<std::vector<int>>();
    p.seeds = doc.at("seeds").get<std::vector<std::int32_t>>();
    for (const auto& kv : doc.at("overrides")) p.overrides.emplace_back(kv.at(0).get<std::string>(), kv.at(1).get<std::string>());
    for (int hp : p.hps) {
      std::vector<std::pair<std::string, std::string>> fields;
      for (const auto& [k, v] : doc.at("protocols").at(std::to_string(hp)).items()) fields.emplace_back(k, v.get<std::string>());
      p.protocols.push_back(std::move(fields));
    }
    if (p.archs.empty() || p.datasets.empty() || p.hps.empty() || p.seeds.empty()) throw Error("the plan has no items");
    return p;
  } catch (const nlohmann::json::exception& e) {
    throw Error(path + ": damaged generation plan (" + first_line(e.what()) + ")");
  } catch (const Error& e) {
    const std::string what = e.what();
    if (what.rfind(path, 0) == 0) throw;
    throw Error(path + ": " + what);
  }
}

void bind_plan(const std::string& workdir, const GeneratePlan& plan) {
  std::error_code error;
  fs::create_directories(fs::path(workdir) / "records", error);
  fs::create_directories(fs::path(workdir) / "checkpoints", error);
  fs::create_directories(fs::path(workdir) / "locks", error);
  if (error) throw Error("cannot create the work folder " + workdir + ": " + error.message());
  const std::string path = plan_path(workdir);
  if (!fs::exists(path)) {
    write_file_atomically(path, plan.json(), "generation plan");
    return;
  }
  const GeneratePlan there = read_plan(workdir);
  const std::string difference = plan_difference(plan_json(there), plan_json(plan));
  if (!difference.empty()) {
    throw Error(workdir + " is the work folder of another generation (" + difference +
                "); choose another --out, or rerun with its plan");
  }
}

GenerateReport generate(const std::string& workdir, const GeneratePlan& plan, std::pair<int, int> shard,
                        const algorithms::TrainingEnvironment& environment, const algorithms::ArchitectureTrainer& trainer,
                        algorithms::TrainingCallbacks& callbacks,
                        const std::function<void(std::size_t, std::size_t, const algorithms::TrainingJob&)>& on_item) {
  const auto started = std::chrono::steady_clock::now();
  GenerateReport report;
  std::vector<std::size_t> todo;
  // Every finished record of the shard is checked before anything is trained.
  for (std::size_t i = static_cast<std::size_t>(shard.first - 1); i < plan.num_items(); i += static_cast<std::size_t>(shard.second)) {
    ++report.shard_items;
    const algorithms::TrainingJob job = plan.job(i);
    const std::string record = record_path(workdir, item_name(job));
    if (!fs::exists(record)) {
      todo.push_back(i);
      continue;
    }
    const bench::TrialRecord r = bench::read_trial_record(record);
    if (r.space != job.space || r.index != job.arch || r.dataset != job.dataset || r.seed != job.seed) {
      throw Error(record + " is not the record of item " + item_name(job) + "; remove it to train the item again");
    }
    ++report.already_done;
  }
  std::size_t position = 0;
  for (const std::size_t i : todo) {
    ++position;
    algorithms::TrainingJob job = plan.job(i);
    const std::string name = item_name(job);
    const ItemLock lock((fs::path(workdir) / "locks" / (name + ".lock")).string());
    if (!lock.held() || fs::exists(record_path(workdir, name))) {  // another task has it, or just finished it
      ++report.busy;
      continue;
    }
    job.environment = environment;
    job.checkpoint_path = (fs::path(workdir) / "checkpoints" / (name + ".pt")).string();
    if (on_item) on_item(position, todo.size(), job);
    const bench::TrialRecord record = trainer.train(job, callbacks);
    bench::write_trial_record(record_path(workdir, name), record);
    std::error_code ignored;
    fs::remove(job.checkpoint_path, ignored);  // the record holds everything now
    ++report.trained;
  }
  report.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

CollectReport collect(const std::string& workdir, const std::string& out) {
  const GeneratePlan plan = read_plan(workdir);
  CollectReport report;
  report.expected = plan.num_items();
  std::set<std::string> expected_names;
  std::vector<bench::TrialRecord> records;
  std::vector<std::string> origins;
  for (std::size_t i = 0; i < plan.num_items(); ++i) {
    const algorithms::TrainingJob job = plan.job(i);
    const std::string name = item_name(job);
    expected_names.insert(name);
    const std::string path = record_path(workdir, name);
    if (!fs::exists(path)) {
      report.missing.push_back(name);
      continue;
    }
    bench::TrialRecord r = bench::read_trial_record(path);
    if (r.space != job.space || r.index != job.arch || r.dataset != job.dataset || r.seed != job.seed) {
      throw Error(path + " is not the record of item " + name);
    }
    const std::size_t hp_position =
        static_cast<std::size_t>(std::find(plan.hps.begin(), plan.hps.end(), job.hp) - plan.hps.begin());
    nlohmann::json protocol = nlohmann::json::object();  // compared as maps: key order is no difference
    for (const auto& [k, v] : plan.protocols.at(hp_position)) protocol[k] = v;
    if (nlohmann::json::parse(r.protocol_json) != protocol) {
      throw Error(path + " was trained with another protocol than the plan's for hp " + std::to_string(job.hp));
    }
    records.push_back(std::move(r));
    origins.push_back(path);
  }
  // A record the plan does not name (another generation's, a stray copy) is refused, not merged.
  for (const auto& entry : fs::directory_iterator(fs::path(workdir) / "records")) {
    const std::string stem = entry.path().stem().string();
    if (entry.path().extension() == ".json" && expected_names.count(stem) == 0) {
      throw Error(entry.path().string() + " is not an item of " + plan_path(workdir));
    }
  }
  report.found = records.size();
  if (records.empty()) throw Error(workdir + " holds no finished record yet (" + std::to_string(report.expected) + " items planned)");
  Json summary = plan_json(plan);
  summary["archs"] = plan.archs.size();  // the count: the store's rows name the archs
  bench::write_trial_store(records, origins, "nas bench generate of " + std::string(bench::space_name(plan.space)) + " in " +
                                                 fs::absolute(workdir).string() + ", plan " + summary.dump(),
                           out);
  return report;
}

}  // namespace nas::experiments
