// Loading searcher plugins with dlopen.
#include "nas/algorithms/plugin.h"

#include <dlfcn.h>
#include <elf.h>

#include <cstring>

#include <filesystem>

#include "nas/benchmark_api/error.h"
#include "nas/benchmark_api/file_io.h"

namespace nas::algorithms {
namespace {

#if defined(__x86_64__)
constexpr std::uint16_t kHostMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr std::uint16_t kHostMachine = EM_AARCH64;
#else
#error "add this architecture's ELF machine code"
#endif

/// True if [offset, offset + bytes) lies inside a file of `size` bytes (without overflow).
bool inside(std::uint64_t offset, std::uint64_t bytes, std::uint64_t size) { return offset <= size && bytes <= size - offset; }

}  // namespace

void check_plugin_file(const std::string& path) {
  const RegularFile file = RegularFile::open(path, "plugin");
  auto refuse = [&](const std::string& why) -> void {
    throw Error("plugin " + path + " is not a loadable shared library: " + why);
  };
  const std::uint64_t size = file.size();
  Elf64_Ehdr header{};
  if (size < sizeof header) refuse("it is too short to be an ELF file (" + std::to_string(size) + " bytes)");
  file.read_at(0, &header, sizeof header);
  if (std::memcmp(header.e_ident, ELFMAG, SELFMAG) != 0) refuse("it is not an ELF file");
  if (header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_ident[EI_DATA] != ELFDATA2LSB || header.e_machine != kHostMachine) {
    refuse("it is built for another machine");
  }
  if (header.e_type != ET_DYN) refuse("it is an ELF file but not a shared library");
  if (header.e_phentsize != sizeof(Elf64_Phdr) || header.e_phnum == 0 ||
      !inside(header.e_phoff, static_cast<std::uint64_t>(header.e_phnum) * sizeof(Elf64_Phdr), size)) {
    refuse("its program headers lie outside the file (truncated?)");
  }
  if (header.e_shnum != 0 && !inside(header.e_shoff, static_cast<std::uint64_t>(header.e_shnum) * header.e_shentsize, size)) {
    refuse("its section headers lie outside the file (truncated?)");
  }
  // dlopen maps every loadable segment; a page beyond the end of the file would be a SIGBUS when
  // touched, so every segment must lie wholly inside the file.
  for (std::uint16_t i = 0; i < header.e_phnum; ++i) {
    Elf64_Phdr segment{};
    file.read_at(header.e_phoff + static_cast<std::uint64_t>(i) * sizeof segment, &segment, sizeof segment);
    if ((segment.p_type == PT_LOAD || segment.p_type == PT_DYNAMIC) && !inside(segment.p_offset, segment.p_filesz, size)) {
      refuse("segment " + std::to_string(i) + " lies outside the file (truncated?)");
    }
  }
}

std::vector<std::string> load_plugin(const std::string& path, SearcherRegistry& registry) {
  check_plugin_file(path);
  // A path without a slash would make dlopen search the library path instead of opening the file.
  const std::string file = path.find('/') == std::string::npos ? "./" + path : path;
  // The handle is never closed: the searchers' code must outlive every use of the registry.
  void* handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    throw Error("cannot load plugin " + path + ": " + (why != nullptr ? why : "unknown dlopen error"));
  }
  using VersionFn = int (*)();
  using RegisterFn = void (*)(SearcherRegistry*);
  auto version = reinterpret_cast<VersionFn>(::dlsym(handle, "nas_plugin_abi_version"));
  auto register_fn = reinterpret_cast<RegisterFn>(::dlsym(handle, "nas_plugin_register"));
  if (version == nullptr || register_fn == nullptr) {
    throw Error(path + " is not a nas plugin (it does not export nas_plugin_abi_version and nas_plugin_register; "
                "see NAS_PLUGIN in nas/algorithms/plugin.h)");
  }
  if (version() != NAS_PLUGIN_ABI_VERSION) {
    throw Error("plugin " + path + " was built for plugin interface version " + std::to_string(version()) +
                ", this nas has version " + std::to_string(NAS_PLUGIN_ABI_VERSION) + "; rebuild it");
  }
  SearcherRegistry added;
  register_fn(&added);
  std::vector<std::string> names;
  for (const SearcherEntry* entry : added.entries()) {
    if (registry.contains(entry->name)) {
      throw Error("plugin " + path + " registers searcher '" + entry->name + "', which already exists");
    }
    names.push_back(entry->name);
  }
  if (names.empty()) throw Error("plugin " + path + " registered no searcher");
  for (const std::string& name : names) registry.add(added.get(name));
  if (added.has_architecture_trainer()) {
    if (registry.has_architecture_trainer()) throw Error("plugin " + path + " installs a second architecture trainer");
    registry.set_architecture_trainer(added.shared_architecture_trainer());
  }
  return names;
}

}  // namespace nas::algorithms
