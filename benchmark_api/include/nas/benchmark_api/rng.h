// nas::Rng: the explicit, seedable random number generator every component receives.
//
// There is no global RNG anywhere in nas: whatever needs randomness (a random trial of a benchmark
// record, a searcher's sampling) takes an `Rng&` that the caller seeded. The generator is
// std::mt19937_64 (bit-exact across standard libraries), and the distributions are implemented here,
// not taken from <random>, whose distributions differ between libstdc++ and libc++. The same seed
// therefore gives the same stream on every platform.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>

namespace nas {

class Rng {
  __extension__ using Uint128 = unsigned __int128;  // GCC/Clang extension, used for Lemire's method

 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}

  /// Raw 64 random bits.
  std::uint64_t next_u64() { return engine_(); }

  /// Uniform integer in [0, n), n > 0, without modulo bias (Lemire's multiply-and-reject).
  std::uint64_t uniform_int(std::uint64_t n) {
    Uint128 product = static_cast<Uint128>(next_u64()) * n;
    auto low = static_cast<std::uint64_t>(product);
    if (low < n) {
      const std::uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        product = static_cast<Uint128>(next_u64()) * n;
        low = static_cast<std::uint64_t>(product);
      }
    }
    return static_cast<std::uint64_t>(product >> 64);
  }

  /// Uniform double in [0, 1) with 53 random bits.
  double uniform01() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

  /// Standard normal deviate (Box-Muller; the second value of each pair is kept for the next call).
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u1 = 0.0;
    do {
      u1 = uniform01();
    } while (u1 <= 0.0);
    const double u2 = uniform01();
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double angle = 2.0 * M_PI * u2;
    spare_ = radius * std::sin(angle);
    has_spare_ = true;
    return radius * std::cos(angle);
  }

 private:
  std::mt19937_64 engine_;
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace nas
