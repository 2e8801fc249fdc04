// libFuzzer target: decodes arbitrary bytes as a request frame. Whenever the header and body
// decode, the message must re-encode and decode again to an equal message, and the second
// encoding must equal the first. Any crash, sanitizer report or broken round trip is a bug.
//   tools/fuzz.sh 60        (builds with clang and runs for 60 seconds)
#include <cstdint>
#include <cstdlib>
#include <string>

#include "kafka/protocol/apis.h"
#include "kafka/protocol/codec.h"
#include "kafka/protocol/messages/all.h"

namespace karst::kafka::protocol {
namespace {

template <typename Message>
void Check(const Request& request) {
  Message first;
  if (!DecodeBody(request, &first).ok()) return;
  const int16_t version = request.header.api_version;
  std::string bytes;
  Writer w(&bytes);
  first.Encode(w, version);
  Message second;
  Reader r(bytes);
  if (!second.Decode(r, version).ok() || r.remaining() != 0) std::abort();
  if (!(second == first)) std::abort();
  std::string again;
  Writer w2(&again);
  second.Encode(w2, version);
  if (again != bytes) std::abort();
}

void Run(absl::string_view frame) {
  absl::StatusOr<Request> request = DecodeRequest(frame);
  if (!request.ok() || request->api == nullptr) return;
  switch (request->api->key) {
#define KARST_FUZZ_CASE(Name, key) \
  case key:                        \
    return Check<Name##Request>(*request);
    KARST_FOR_EACH_API(KARST_FUZZ_CASE)
#undef KARST_FUZZ_CASE
  }
}

}  // namespace
}  // namespace karst::kafka::protocol

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  karst::kafka::protocol::Run(absl::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
