// CPython's `random` module, bit-exactly: MT19937 seeded as `random.seed(int)` does, and
// `random.shuffle`. NATS-Bench derives its arch index order (seed 88) and its CIFAR-10 train/valid
// split (seed 1021) this way; reproducing the generator avoids shipping the tables.
#pragma once

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

namespace nas::bench {

class CPythonMersenneTwister {
 public:
  /// As `random.seed(seed)` for a non-negative int below 2^32 (init_by_array with one key word).
  explicit CPythonMersenneTwister(std::uint32_t seed) { init_by_array(seed); }

  /// genrand_uint32.
  std::uint32_t next_u32() {
    if (index_ >= kN) twist();
    std::uint32_t y = state_[index_++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680U;
    y ^= (y << 15) & 0xefc60000U;
    y ^= y >> 18;
    return y;
  }

  /// Random._randbelow_with_getrandbits(n) for 0 < n < 2^32: the top bit_length(n) bits, redrawn
  /// while >= n.
  std::uint32_t below(std::uint32_t n) {
    int bits = 0;
    for (std::uint32_t v = n; v != 0; v >>= 1) ++bits;
    std::uint32_t r = 0;
    do {
      r = next_u32() >> (32 - bits);
    } while (r >= n);
    return r;
  }

 private:
  static constexpr int kN = 624;
  static constexpr int kM = 397;

  void init_genrand(std::uint32_t seed) {
    state_[0] = seed;
    for (int i = 1; i < kN; ++i) {
      state_[i] = 1812433253U * (state_[i - 1] ^ (state_[i - 1] >> 30)) + static_cast<std::uint32_t>(i);
    }
    index_ = kN;
  }

  void init_by_array(std::uint32_t key) {
    init_genrand(19650218U);
    int i = 1;
    for (int k = kN; k > 0; --k) {
      state_[i] = (state_[i] ^ ((state_[i - 1] ^ (state_[i - 1] >> 30)) * 1664525U)) + key;
      if (++i >= kN) {
        state_[0] = state_[kN - 1];
        i = 1;
      }
    }
    for (int k = kN - 1; k > 0; --k) {
      state_[i] = (state_[i] ^ ((state_[i - 1] ^ (state_[i - 1] >> 30)) * 1566083941U)) -
                  static_cast<std::uint32_t>(i);
      if (++i >= kN) {
        state_[0] = state_[kN - 1];
        i = 1;
      }
    }
    state_[0] = 0x80000000U;
  }

  void twist() {
    for (int i = 0; i < kN; ++i) {
      const std::uint32_t y = (state_[i] & 0x80000000U) | (state_[(i + 1) % kN] & 0x7fffffffU);
      state_[i] = state_[(i + kM) % kN] ^ (y >> 1) ^ ((y & 1U) ? 0x9908b0dfU : 0U);
    }
    index_ = 0;
  }

  std::array<std::uint32_t, kN> state_{};
  int index_ = kN;
};

/// `random.seed(seed); random.shuffle(values)` (Python 3), in place.
template <typename T>
void cpython_shuffle(std::vector<T>& values, std::uint32_t seed) {
  CPythonMersenneTwister rng(seed);
  for (std::size_t i = values.size(); i > 1; --i) {
    std::swap(values[i - 1], values[rng.below(static_cast<std::uint32_t>(i))]);
  }
}

}  // namespace nas::bench
