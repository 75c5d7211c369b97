// libFuzzer target for the frame decoder. Build with the `fuzz` preset (clang) and run:
//   build/fuzz/tests/fuzz/frame_decoder_fuzz tests/fuzz/corpus -max_total_time=300
// Crashes, sanitizer reports and violated properties (tests/fuzz/frame_decoder_check.h)
// are findings. Each input is also what a chat connection's peer might send first: TLS
// records to a node's server session (certificates included), which must end in an
// error or a handshake in progress, never a crash.
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "net_real/tls.h"
#include "tests/fuzz/frame_decoder_check.h"

namespace {

chord::net::TlsIdentity& server_identity() {
  static const chord::Identity identity = chord::Identity::from_seed(chord::IdentitySeed{});
  static std::string error;
  static const std::unique_ptr<chord::net::TlsIdentity> tls =
      chord::net::TlsIdentity::make(identity, "fuzz#aaaaaaaaaaaa", error);
  if (!tls) std::abort();
  return *tls;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  chord::fuzz::CheckStats stats;
  std::string why;
  if (!chord::fuzz::check_frame_decoder({data, size}, stats, why)) {
    std::fprintf(stderr, "property violated: %s\n", why.c_str());
    std::abort();
  }
  // As a certificate (TLS 1.3 encrypts the peer's, so a session alone never parses fuzzed
  // ones): the key check a session makes on its peer's certificate.
  (void)chord::net::certificate_key({data, size});
  chord::net::TlsSession session(server_identity().server(), chord::net::TlsSession::Role::server);
  std::vector<std::uint8_t> plaintext;
  std::string error;
  (void)session.feed({data, size}, plaintext, error);
  (void)session.take_output();
  return 0;
}
