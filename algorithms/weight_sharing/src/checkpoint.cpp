// Checkpoint files: atomic writes, run identities (see checkpoint.h).
#include "nas/algorithms/checkpoint.h"

#include <yaml-cpp/yaml.h>

#include <map>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/file_io.h"

namespace nas::algorithms {
namespace {

constexpr const char* kIdentityKey = "run_identity";

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

/// The value as one line for a message ("(absent)" when missing).
std::string shown(const std::string* value) { return value == nullptr ? "(absent)" : first_line(*value); }

/// The first key of two YAML config maps whose values differ, as "config key K: A in the
/// checkpoint, B in this run", or "" if the texts do not parse as maps (the caller then says only
/// that the configs differ).
std::string config_key_difference(const std::string& checkpoint_text, const std::string& run_text) {
  YAML::Node checkpoint, run;
  try {
    checkpoint = YAML::Load(checkpoint_text);
    run = YAML::Load(run_text);
  } catch (const YAML::Exception&) {
    return "";
  }
  if (!checkpoint.IsMap() || !run.IsMap()) return "";
  auto text_of = [](const YAML::Node& node) {
    YAML::Emitter out;
    out << YAML::Flow << node;
    return std::string(out.c_str());
  };
  auto difference = [](const std::string& key, const std::string& there, const std::string& here) {
    return "config key " + key + ": " + there + " in the checkpoint, " + here + " in this run";
  };
  for (const auto& item : run) {
    const std::string key = item.first.as<std::string>();
    const YAML::Node there = checkpoint[key];
    if (!there) return difference(key, "(absent)", text_of(item.second));
    if (text_of(there) != text_of(item.second)) return difference(key, text_of(there), text_of(item.second));
  }
  for (const auto& item : checkpoint) {
    const std::string key = item.first.as<std::string>();
    if (!run[key]) return difference(key, text_of(item.second), "(absent)");
  }
  return "";
}

}  // namespace

std::string identity_difference(const RunIdentity& checkpoint, const RunIdentity& run) {
  std::map<std::string, const std::string*> stored;
  for (const auto& [field, value] : checkpoint) stored[field] = &value;
  auto differs = [](const std::string& field, const std::string* there, const std::string* here) -> std::string {
    if (field == "config" && there != nullptr && here != nullptr) {
      const std::string key = config_key_difference(*there, *here);
      return key.empty() ? "the searcher configs differ" : key;
    }
    return field + ": " + shown(there) + " in the checkpoint, " + shown(here) + " in this run";
  };
  for (const auto& [field, value] : run) {
    const auto it = stored.find(field);
    const std::string* there = it == stored.end() ? nullptr : it->second;
    if (there == nullptr || *there != value) return differs(field, there, &value);
  }
  for (const auto& [field, value] : checkpoint) {
    bool known = false;
    for (const auto& entry : run) known = known || entry.first == field;
    if (!known) return differs(field, &value, nullptr);
  }
  return "";
}

void write_checkpoint(const std::string& path, const RunIdentity& identity, torch::serialize::OutputArchive& archive) {
  c10::Dict<std::string, std::string> fields;
  for (const auto& [field, value] : identity) fields.insert(field, value);
  archive.write(kIdentityKey, c10::IValue(fields));
  // Serialized in memory first (a few MB): LibTorch's zip writer must not see a failing write, since
  // it writes again from its destructor and a second exception there would abort the process.
  std::string bytes;
  archive.save_to([&bytes](const void* data, std::size_t size) {
    bytes.append(static_cast<const char*>(data), size);
    return size;
  });
  write_file_atomically(path, bytes, "checkpoint");
}

torch::serialize::InputArchive read_checkpoint(const std::string& path, const RunIdentity& identity,
                                               torch::Device device) {
  const RegularFile file = RegularFile::open(path, "checkpoint");
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(
        [&file](std::uint64_t position, void* buffer, std::size_t bytes) -> std::size_t {
          if (position >= file.size()) return 0;
          const std::size_t available = static_cast<std::size_t>(std::min<std::uint64_t>(bytes, file.size() - position));
          file.read_at(position, buffer, available);
          return available;
        },
        [&file] { return static_cast<std::size_t>(file.size()); }, device);
  } catch (const c10::Error& e) {
    throw Error("cannot resume from checkpoint " + path + ": it is damaged or not a checkpoint (" +
                first_line(e.what_without_backtrace()) + ")");
  }
  c10::IValue stored;
  if (!archive.try_read(kIdentityKey, stored) || !stored.isGenericDict()) {
    throw Error("cannot resume from checkpoint " + path +
                ": it carries no run identity (an older nas wrote it), so it cannot be checked against this run; "
                "delete it to start the search afresh");
  }
  RunIdentity written;
  for (const auto& item : stored.toGenericDict()) {
    if (!item.key().isString() || !item.value().isString()) {
      throw Error("cannot resume from checkpoint " + path + ": its run identity is damaged");
    }
    written.emplace_back(item.key().toStringRef(), item.value().toStringRef());
  }
  if (const std::string difference = identity_difference(written, identity); !difference.empty()) {
    throw Error("cannot resume from checkpoint " + path + ": another run wrote it (" + difference +
                "); delete it or choose another checkpoint file");
  }
  return archive;
}

}  // namespace nas::algorithms
