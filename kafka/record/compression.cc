#include "kafka/record/compression.h"

#include <lz4frame.h>
#include <snappy.h>
#include <zlib.h>
#include <zstd.h>

#include <memory>

#include "absl/strings/str_cat.h"
#include "kafka/record/byte_io.h"

namespace karst::kafka::record {
namespace {

constexpr size_t kChunk = 64 * 1024;

absl::Status TooLarge(Compression codec, size_t max_output) {
  return absl::ResourceExhaustedError(absl::StrCat(
      CompressionName(codec), ": decompressed size exceeds the limit of ", max_output, " bytes"));
}

absl::Status Corrupt(Compression codec, absl::string_view why) {
  return absl::DataLossError(absl::StrCat(CompressionName(codec), ": corrupt input: ", why));
}

// --- gzip ---

absl::StatusOr<std::string> GzipCompress(absl::string_view input) {
  z_stream z{};
  // 15 window bits + 16: a gzip header and trailer, as Kafka's GZIPOutputStream writes.
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return absl::InternalError("gzip: deflateInit2 failed");
  }
  std::string out(deflateBound(&z, input.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  z.avail_in = static_cast<uInt>(input.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return absl::InternalError("gzip: deflate did not finish");
  return out;
}

absl::StatusOr<std::string> GzipDecompress(absl::string_view input, size_t max_output) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 32) != Z_OK) return absl::InternalError("gzip: inflateInit2 failed");
  std::unique_ptr<z_stream, int (*)(z_stream*)> guard(&z, inflateEnd);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(input.data()));
  z.avail_in = static_cast<uInt>(input.size());
  std::string out;
  char buffer[kChunk];
  while (true) {
    z.next_out = reinterpret_cast<Bytef*>(buffer);
    z.avail_out = sizeof(buffer);
    const int rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      return Corrupt(Compression::kGzip, z.msg != nullptr ? z.msg : "inflate failed");
    }
    const size_t produced = sizeof(buffer) - z.avail_out;
    if (out.size() + produced > max_output) return TooLarge(Compression::kGzip, max_output);
    out.append(buffer, produced);
    if (rc == Z_STREAM_END) return out;
    if (produced == 0 && z.avail_in == 0) return Corrupt(Compression::kGzip, "truncated stream");
  }
}

// --- snappy ---

constexpr absl::string_view kXerialMagic("\x82SNAPPY\x00", 8);

absl::Status AppendSnappyBlock(absl::string_view block, size_t max_output, std::string& out) {
  size_t length = 0;
  if (!snappy::GetUncompressedLength(block.data(), block.size(), &length)) {
    return Corrupt(Compression::kSnappy, "bad block header");
  }
  if (out.size() + length > max_output) return TooLarge(Compression::kSnappy, max_output);
  const size_t at = out.size();
  out.resize(at + length);
  if (!snappy::RawUncompress(block.data(), block.size(), out.data() + at)) {
    return Corrupt(Compression::kSnappy, "bad block");
  }
  return absl::OkStatus();
}

// Kafka's Java client (before 3.x, and librdkafka for compatibility) frames snappy with
// xerial's SnappyOutputStream: an 8-byte magic, two int32 versions, then [int32 size][block]*.
absl::StatusOr<std::string> SnappyDecompress(absl::string_view input, size_t max_output) {
  std::string out;
  if (input.size() >= 16 && input.substr(0, 8) == kXerialMagic) {
    ByteReader reader(input.substr(16));
    while (reader.remaining() > 0) {
      absl::StatusOr<int32_t> size = reader.ReadInt32();
      if (!size.ok() || *size < 0) return Corrupt(Compression::kSnappy, "bad xerial block size");
      absl::StatusOr<absl::string_view> block = reader.ReadBytes(static_cast<size_t>(*size));
      if (!block.ok()) return Corrupt(Compression::kSnappy, "truncated xerial block");
      if (absl::Status s = AppendSnappyBlock(*block, max_output, out); !s.ok()) return s;
    }
    return out;
  }
  if (absl::Status s = AppendSnappyBlock(input, max_output, out); !s.ok()) return s;
  return out;
}

// --- lz4 ---

absl::StatusOr<std::string> Lz4Compress(absl::string_view input) {
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum;
  std::string out(LZ4F_compressFrameBound(input.size(), &prefs), '\0');
  const size_t n = LZ4F_compressFrame(out.data(), out.size(), input.data(), input.size(), &prefs);
  if (LZ4F_isError(n)) return absl::InternalError(LZ4F_getErrorName(n));
  out.resize(n);
  return out;
}

absl::StatusOr<std::string> Lz4Decompress(absl::string_view input, size_t max_output) {
  LZ4F_dctx* ctx = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION))) {
    return absl::InternalError("lz4: cannot create a context");
  }
  std::unique_ptr<LZ4F_dctx, LZ4F_errorCode_t (*)(LZ4F_dctx*)> guard(ctx,
                                                                     LZ4F_freeDecompressionContext);
  std::string out;
  char buffer[kChunk];
  const char* in = input.data();
  size_t left = input.size();
  size_t hint = 1;
  while (hint != 0) {
    size_t in_size = left;
    size_t out_size = sizeof(buffer);
    hint = LZ4F_decompress(ctx, buffer, &out_size, in, &in_size, nullptr);
    if (LZ4F_isError(hint)) return Corrupt(Compression::kLz4, LZ4F_getErrorName(hint));
    if (out.size() + out_size > max_output) return TooLarge(Compression::kLz4, max_output);
    out.append(buffer, out_size);
    in += in_size;
    left -= in_size;
    if (hint != 0 && left == 0 && out_size == 0) {
      return Corrupt(Compression::kLz4, "truncated frame");
    }
  }
  return out;
}

// --- zstd ---

absl::StatusOr<std::string> ZstdCompress(absl::string_view input) {
  std::string out(ZSTD_compressBound(input.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), input.data(), input.size(), 3);
  if (ZSTD_isError(n)) return absl::InternalError(ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

absl::StatusOr<std::string> ZstdDecompress(absl::string_view input, size_t max_output) {
  std::unique_ptr<ZSTD_DStream, size_t (*)(ZSTD_DStream*)> stream(ZSTD_createDStream(),
                                                                  ZSTD_freeDStream);
  if (stream == nullptr) return absl::InternalError("zstd: cannot create a stream");
  ZSTD_initDStream(stream.get());
  ZSTD_inBuffer in{input.data(), input.size(), 0};
  std::string out;
  char buffer[kChunk];
  size_t hint = 1;
  while (hint != 0) {
    ZSTD_outBuffer o{buffer, sizeof(buffer), 0};
    hint = ZSTD_decompressStream(stream.get(), &o, &in);
    if (ZSTD_isError(hint)) return Corrupt(Compression::kZstd, ZSTD_getErrorName(hint));
    if (out.size() + o.pos > max_output) return TooLarge(Compression::kZstd, max_output);
    out.append(buffer, o.pos);
    if (hint != 0 && in.pos == in.size && o.pos == 0) {
      return Corrupt(Compression::kZstd, "truncated frame");
    }
  }
  return out;
}

}  // namespace

const char* CompressionName(Compression codec) {
  switch (codec) {
    case Compression::kNone:
      return "none";
    case Compression::kGzip:
      return "gzip";
    case Compression::kSnappy:
      return "snappy";
    case Compression::kLz4:
      return "lz4";
    case Compression::kZstd:
      return "zstd";
  }
  return "unknown";
}

absl::StatusOr<Compression> CompressionFromId(int id) {
  if (id < 0 || id > 4) {
    return absl::InvalidArgumentError(absl::StrCat("unknown compression codec id ", id));
  }
  return static_cast<Compression>(id);
}

absl::StatusOr<std::string> Compress(Compression codec, absl::string_view input) {
  switch (codec) {
    case Compression::kNone:
      return std::string(input);
    case Compression::kGzip:
      return GzipCompress(input);
    case Compression::kSnappy: {
      std::string out;
      snappy::Compress(input.data(), input.size(), &out);
      return out;
    }
    case Compression::kLz4:
      return Lz4Compress(input);
    case Compression::kZstd:
      return ZstdCompress(input);
  }
  return absl::InvalidArgumentError("unknown compression codec");
}

absl::StatusOr<std::string> Decompress(Compression codec, absl::string_view input,
                                       size_t max_output) {
  switch (codec) {
    case Compression::kNone:
      if (input.size() > max_output) return TooLarge(codec, max_output);
      return std::string(input);
    case Compression::kGzip:
      return GzipDecompress(input, max_output);
    case Compression::kSnappy:
      return SnappyDecompress(input, max_output);
    case Compression::kLz4:
      return Lz4Decompress(input, max_output);
    case Compression::kZstd:
      return ZstdDecompress(input, max_output);
  }
  return absl::InvalidArgumentError("unknown compression codec");
}

}  // namespace karst::kafka::record
