// A small batch that inflates to gigabytes must be rejected with an error while memory stays
// bounded. Bombs are built by streaming zeros through each compressor, so the test itself
// never holds the inflated size either.
#include <lz4frame.h>
#include <sys/resource.h>
#include <zlib.h>
#include <zstd.h>

#include <string>

#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "kafka/record/compression.h"
#include "kafka/record/record.h"

namespace karst::kafka::record {
namespace {

using ::karst::testing::StatusIs;

constexpr size_t kChunk = 1 << 20;
constexpr int kChunks = 1024;  // 1 GiB of zeros.

std::string GzipBomb() {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
  const std::string zeros(kChunk, '\0');
  std::string out;
  char buf[1 << 16];
  for (int i = 0; i < kChunks; ++i) {
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(zeros.data()));
    z.avail_in = kChunk;
    const int flush = i + 1 == kChunks ? Z_FINISH : Z_NO_FLUSH;
    do {
      z.next_out = reinterpret_cast<Bytef*>(buf);
      z.avail_out = sizeof(buf);
      deflate(&z, flush);
      out.append(buf, sizeof(buf) - z.avail_out);
    } while (z.avail_out == 0);
  }
  deflateEnd(&z);
  return out;
}

std::string ZstdBomb() {
  ZSTD_CCtx* ctx = ZSTD_createCCtx();
  const std::string zeros(kChunk, '\0');
  std::string out;
  char buf[1 << 16];
  for (int i = 0; i < kChunks; ++i) {
    ZSTD_inBuffer in{zeros.data(), zeros.size(), 0};
    const auto mode = i + 1 == kChunks ? ZSTD_e_end : ZSTD_e_continue;
    size_t left;
    do {
      ZSTD_outBuffer o{buf, sizeof(buf), 0};
      left = ZSTD_compressStream2(ctx, &o, &in, mode);
      out.append(buf, o.pos);
    } while (in.pos < in.size || (mode == ZSTD_e_end && left != 0));
  }
  ZSTD_freeCCtx(ctx);
  return out;
}

std::string Lz4Bomb() {
  LZ4F_cctx* ctx = nullptr;
  LZ4F_createCompressionContext(&ctx, LZ4F_VERSION);
  const std::string zeros(kChunk, '\0');
  std::string out(LZ4F_compressBound(kChunk, nullptr) + 64, '\0');
  std::string result;
  result.append(out.data(), LZ4F_compressBegin(ctx, out.data(), out.size(), nullptr));
  for (int i = 0; i < kChunks; ++i) {
    result.append(out.data(), LZ4F_compressUpdate(ctx, out.data(), out.size(), zeros.data(),
                                                  zeros.size(), nullptr));
  }
  result.append(out.data(), LZ4F_compressEnd(ctx, out.data(), out.size(), nullptr));
  LZ4F_freeCompressionContext(ctx);
  return result;
}

long MaxRssKiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

TEST(DecompressionBomb, IsRejectedWithBoundedMemory) {
  const std::pair<Compression, std::string> bombs[] = {
      {Compression::kGzip, GzipBomb()},
      {Compression::kZstd, ZstdBomb()},
      {Compression::kLz4, Lz4Bomb()},
  };
  const long before = MaxRssKiB();
  for (const auto& [codec, bomb] : bombs) {
    ASSERT_LT(bomb.size(), size_t{8} << 20) << CompressionName(codec);
    // Wrapped in a real batch, as a producer would send it, with a 16 MiB inflation limit.
    BatchBuilder b({.compression = Compression::kNone});
    b.Add(0, 0, std::nullopt, std::string("x"));
    absl::StatusOr<std::string> plain = b.Build();
    ASSERT_TRUE(plain.ok());
    std::string batch = plain->substr(0, kBatchHeaderSize) + bomb;
    // Patch attributes and length, then recompute the CRC: only decompression can object.
    batch[kAttributesOffset + 1] = static_cast<char>(codec);
    const uint32_t length = static_cast<uint32_t>(batch.size() - kLogOverhead);
    for (int i = 0; i < 4; ++i) batch[8 + i] = static_cast<char>(length >> (24 - 8 * i));
    const uint32_t crc = ComputeBatchCrc(batch);
    for (int i = 0; i < 4; ++i) batch[kCrcOffset + i] = static_cast<char>(crc >> (24 - 8 * i));
    EXPECT_THAT(DecodeRecords(batch, {.max_uncompressed_bytes = 16 << 20}),
                StatusIs(absl::StatusCode::kResourceExhausted))
        << CompressionName(codec);
  }
  // Peak memory grew by far less than the 1 GiB each bomb inflates to (limit + buffers).
  EXPECT_LT(MaxRssKiB() - before, 64 * 1024) << "KiB";
}

}  // namespace
}  // namespace karst::kafka::record
