// Writes the seed corpus for frame_decoder_fuzz: one frame per message type, a stream of
// many frames, a few malformed frames, and the signed parts (a user record, a put carrying
// one, a key file). Run once; the fuzzer adds what it finds.
//   build/fuzz/tests/fuzz/make_fuzz_corpus tests/fuzz/corpus
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "core/codec.h"
#include "core/user_record.h"
#include "tests/core/message_samples.h"

namespace {

void write(const std::string& path, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_fuzz_corpus DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  chord::testing::SampleRandom random(2026);
  std::vector<std::uint8_t> stream;
  for (std::size_t type = 0; type < chord::testing::message_types; ++type) {
    chord::Message message = chord::testing::sample_message(type, random);
    if (auto* text = std::get_if<chord::ChatText>(&message)) text->text.resize(20);
    std::vector<std::uint8_t> frame;
    chord::encode_frame(message, frame);
    write(dir + "/seed-" + chord::message_name(message), frame);
    stream.insert(stream.end(), frame.begin(), frame.end());
  }
  write(dir + "/seed-stream", stream);
  write(dir + "/seed-too-long", {0x7f, 0xff, 0xff, 0xff, 1});
  write(dir + "/seed-bad-version", {0, 0, 0, 3, 9, 1, 6});
  // The signed parts: a user record alone, a put that carries it, and a key file.
  chord::IdentitySeed seed{};
  seed.fill(7);
  const chord::Identity identity = chord::Identity::from_seed(seed);
  chord::UserRecord user;
  user.handle = chord::handle_for("alice", identity.public_key());
  user.endpoint = chord::Endpoint::ipv4({127, 0, 0, 1}, 4500);
  user.public_key = identity.public_key();
  user.seq = 1;
  user.expires_ms = 1'767'225'660'000;
  chord::sign_user_record(user, identity);
  const std::string value = chord::encode_user_record(user);
  write(dir + "/seed-user-record", {value.begin(), value.end()});
  std::vector<std::uint8_t> put;
  chord::encode_frame(chord::DhtPut{1, {chord::NodeId::hash_of(user.handle), 1, 1, 60000, value}},
                      put);
  write(dir + "/seed-dht-put-signed", put);
  const std::string pem = identity.to_pem();
  write(dir + "/seed-key-pem", {pem.begin(), pem.end()});
  return 0;
}
