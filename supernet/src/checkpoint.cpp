// Checkpoint files: atomic writes, run identities (see checkpoint.h).
#include "nas/supernet/checkpoint.h"

#include <filesystem>
#include <map>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/file_io.h"

namespace nas::supernet {
namespace {

constexpr const char* kIdentityKey = "run_identity";

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

/// The value as one line for a message ("(absent)" when missing).
std::string shown(const std::string* value) { return value == nullptr ? "(absent)" : first_line(*value); }

/// The top-level entries of a YAML map in block style ("key: value" lines at column 0, each with
/// the indented lines below it), in order, or nullopt when the text is not such a map (flow style,
/// a list, a scalar). Values are compared as written: nas emits both sides the same way.
std::optional<std::vector<std::pair<std::string, std::string>>> top_level_entries(const std::string& text) {
  std::vector<std::pair<std::string, std::string>> entries;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(start, end - start);
    start = end + 1;
    if (line.empty() || line[0] == '#') continue;
    if (line[0] == ' ' || line[0] == '-') {
      if (entries.empty()) return std::nullopt;
      entries.back().second += "\n" + line;
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string::npos || colon == 0 || line[0] == '[' || line[0] == '{') return std::nullopt;
    std::string value = line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    entries.emplace_back(line.substr(0, colon), value);
  }
  if (entries.empty()) return std::nullopt;
  return entries;
}

/// The first key of two config maps whose values differ, as "config key K: A in the checkpoint,
/// B in this run", or "" if the texts are not block maps (the caller then says only that the
/// configs differ).
std::string config_key_difference(const std::string& checkpoint_text, const std::string& run_text) {
  const auto checkpoint = top_level_entries(checkpoint_text), run = top_level_entries(run_text);
  if (!checkpoint || !run) return "";
  auto find = [](const std::vector<std::pair<std::string, std::string>>& entries, const std::string& key) -> const std::string* {
    for (const auto& [k, v] : entries) {
      if (k == key) return &v;
    }
    return nullptr;
  };
  auto difference = [](const std::string& key, const std::string* there, const std::string* here) {
    return "config key " + key + ": " + shown(there) + " in the checkpoint, " + shown(here) + " in this run";
  };
  for (const auto& [key, value] : *run) {
    const std::string* there = find(*checkpoint, key);
    if (there == nullptr || *there != value) return difference(key, there, &value);
  }
  for (const auto& [key, value] : *checkpoint) {
    if (find(*run, key) == nullptr) return difference(key, &value, nullptr);
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
      return key.empty() ? "the configs differ" : key;
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

EpochCheckpoint::EpochCheckpoint(std::string path, RunIdentity identity, torch::Device device)
    : path_(std::move(path)), identity_(std::move(identity)) {
  if (!enabled()) return;
  if (identity_.empty()) throw std::invalid_argument("a checkpointed run needs a run identity");
  require_writable_location(path_, "checkpoint");
  if (std::filesystem::exists(path_)) existing_ = read_checkpoint(path_, identity_, device);
}

int EpochCheckpoint::resume(const std::function<void(torch::serialize::InputArchive&)>& load) {
  if (!existing_) return 0;
  try {
    torch::Tensor epoch;
    existing_->read("epoch", epoch);
    load(*existing_);
    const int next = static_cast<int>(epoch.item<std::int64_t>());
    existing_.reset();  // its tensors now live in the caller's state
    return next;
  } catch (const c10::Error& e) {
    throw Error("cannot resume from checkpoint " + path_ + ": its state does not fit this run (" +
                first_line(e.what_without_backtrace()) + ")");
  }
}

void EpochCheckpoint::commit(int epoch, const std::function<void(torch::serialize::OutputArchive&)>& save) const {
  if (!enabled()) return;
  torch::serialize::OutputArchive archive;
  archive.write("epoch", torch::tensor(static_cast<std::int64_t>(epoch + 1)));
  save(archive);
  write_checkpoint(path_, identity_, archive);
}

}  // namespace nas::supernet
