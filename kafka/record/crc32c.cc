#include "kafka/record/crc32c.h"

#include <array>
#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace karst::kafka::record {
namespace {

constexpr uint32_t kPolynomial = 0x82f63b78;  // Castagnoli, reflected.

// tables[k][b]: the CRC of byte b followed by k zero bytes (slicing-by-8).
using Tables = std::array<std::array<uint32_t, 256>, 8>;

constexpr Tables MakeTables() {
  Tables t{};
  for (uint32_t b = 0; b < 256; ++b) {
    uint32_t c = b;
    for (int i = 0; i < 8; ++i) c = (c >> 1) ^ (kPolynomial & (0u - (c & 1)));
    t[0][b] = c;
  }
  for (int k = 1; k < 8; ++k) {
    for (uint32_t b = 0; b < 256; ++b) t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xff];
  }
  return t;
}

constexpr Tables kTables = MakeTables();

// Shifting a CRC over runs of zeros, for combining the CRCs of lanes computed in parallel
// (the method of zlib's crc32_combine and Mark Adler's crc32c.c): operators are 32x32
// matrices over GF(2), then flattened into byte tables.
uint32_t Gf2MatrixTimes(const uint32_t* mat, uint32_t vec) {
  uint32_t sum = 0;
  for (; vec != 0; vec >>= 1, ++mat) {
    if (vec & 1) sum ^= *mat;
  }
  return sum;
}

void Gf2MatrixSquare(uint32_t* square, const uint32_t* mat) {
  for (int n = 0; n < 32; ++n) square[n] = Gf2MatrixTimes(mat, mat[n]);
}

// The operator that appends `len` zero bytes. REQUIRES: len is a power of two.
void ZerosOperator(uint32_t* even, size_t len) {
  uint32_t odd[32];
  odd[0] = kPolynomial;  // One zero bit.
  for (int n = 1; n < 32; ++n) odd[n] = 1u << (n - 1);
  Gf2MatrixSquare(even, odd);  // Two zero bits.
  Gf2MatrixSquare(odd, even);  // Four zero bits.
  do {
    Gf2MatrixSquare(even, odd);  // First pass: one zero byte.
    len >>= 1;
    if (len == 0) return;
    Gf2MatrixSquare(odd, even);
    len >>= 1;
  } while (len != 0);
  for (int n = 0; n < 32; ++n) even[n] = odd[n];
}

using ShiftTable = std::array<std::array<uint32_t, 256>, 4>;

ShiftTable MakeShiftTable(size_t len) {
  uint32_t op[32];
  ZerosOperator(op, len);
  ShiftTable t{};
  for (uint32_t n = 0; n < 256; ++n) {
    for (int k = 0; k < 4; ++k) t[k][n] = Gf2MatrixTimes(op, n << (8 * k));
  }
  return t;
}

uint32_t Shift(const ShiftTable& t, uint32_t crc) {
  return t[0][crc & 0xff] ^ t[1][(crc >> 8) & 0xff] ^ t[2][(crc >> 16) & 0xff] ^ t[3][crc >> 24];
}

constexpr size_t kLong = 8192;
constexpr size_t kShort = 256;

#if defined(__x86_64__)
uint64_t Load64(const uint8_t* p) {
  uint64_t word;
  std::memcpy(&word, p, 8);
  return word;
}

// Three independent crc32 chains over three lanes of `lane` bytes each: the instruction has
// a latency of three cycles but a throughput of one, so interleaving triples the speed.
__attribute__((target("sse4.2"))) uint64_t ThreeLanes(const uint8_t*& p, size_t& n, uint64_t crc,
                                                      size_t lane, const ShiftTable& shift) {
  while (n >= 3 * lane) {
    uint64_t c1 = 0, c2 = 0;
    for (const uint8_t* end = p + lane; p < end; p += 8) {
      crc = _mm_crc32_u64(crc, Load64(p));
      c1 = _mm_crc32_u64(c1, Load64(p + lane));
      c2 = _mm_crc32_u64(c2, Load64(p + 2 * lane));
    }
    crc = Shift(shift, static_cast<uint32_t>(crc)) ^ static_cast<uint32_t>(c1);
    crc = Shift(shift, static_cast<uint32_t>(crc)) ^ static_cast<uint32_t>(c2);
    p += 2 * lane;
    n -= 3 * lane;
  }
  return crc;
}

__attribute__((target("sse4.2"))) uint32_t HardwareLoop(const uint8_t* p, size_t n, uint32_t crc) {
  static const ShiftTable* long_shift = new ShiftTable(MakeShiftTable(kLong));
  static const ShiftTable* short_shift = new ShiftTable(MakeShiftTable(kShort));
  uint64_t c = crc;
  c = ThreeLanes(p, n, c, kLong, *long_shift);
  c = ThreeLanes(p, n, c, kShort, *short_shift);
  for (; n >= 8; p += 8, n -= 8) c = _mm_crc32_u64(c, Load64(p));
  uint32_t c32 = static_cast<uint32_t>(c);
  while (n-- > 0) c32 = _mm_crc32_u8(c32, *p++);
  return c32;
}
#endif

const bool kHasHardware = [] {
#if defined(__x86_64__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2") != 0;
#else
  return false;
#endif
}();

}  // namespace

uint32_t Crc32cPortable(absl::string_view data, uint32_t crc) {
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  size_t n = data.size();
  uint32_t c = ~crc;
  while (n >= 8) {
    // Little-endian load of the first four bytes, folded into the running CRC.
    const uint32_t lo =
        (uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24) ^ c;
    c = kTables[7][lo & 0xff] ^ kTables[6][(lo >> 8) & 0xff] ^ kTables[5][(lo >> 16) & 0xff] ^
        kTables[4][lo >> 24] ^ kTables[3][p[4]] ^ kTables[2][p[5]] ^ kTables[1][p[6]] ^
        kTables[0][p[7]];
    p += 8;
    n -= 8;
  }
  while (n-- > 0) c = (c >> 8) ^ kTables[0][(c ^ *p++) & 0xff];
  return ~c;
}

uint32_t Crc32cHardware(absl::string_view data, uint32_t crc) {
#if defined(__x86_64__)
  return ~HardwareLoop(reinterpret_cast<const uint8_t*>(data.data()), data.size(), ~crc);
#else
  return Crc32cPortable(data, crc);
#endif
}

bool HasHardwareCrc32c() { return kHasHardware; }

uint32_t Crc32c(absl::string_view data, uint32_t crc) {
  return kHasHardware ? Crc32cHardware(data, crc) : Crc32cPortable(data, crc);
}

}  // namespace karst::kafka::record
