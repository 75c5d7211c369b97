// What authentication costs (issue 9): signing and checking a directory record, a chat
// handshake (TLS 1.3 with Ed25519 certificates, both ends in this thread, plus the signed
// open and accept), and one chat message through TLS each way.
//   build/release/bench/crypto_bench
#include <benchmark/benchmark.h>

#include <string>

#include "core/user_record.h"
#include "net_real/tls.h"

namespace {

chord::Identity identity_of(std::uint8_t n) {
  chord::IdentitySeed seed{};
  seed.fill(n);
  return chord::Identity::from_seed(seed);
}

chord::UserRecord record_of(const chord::Identity& identity, std::uint64_t seq) {
  chord::UserRecord user;
  user.handle = chord::handle_for("alice", identity.public_key());
  user.endpoint = chord::Endpoint::ipv4({192, 168, 1, 20}, 4500);
  user.public_key = identity.public_key();
  user.seq = seq;
  user.expires_ms = 1'767'225'660'000;
  return user;
}

constexpr std::int64_t now_ms = 1'767'225'600'000;

void sign_record(benchmark::State& state) {
  const chord::Identity identity = identity_of(1);
  std::uint64_t seq = 0;
  for (auto _ : state) {
    chord::UserRecord user = record_of(identity, ++seq);
    chord::sign_user_record(user, identity);
    benchmark::DoNotOptimize(chord::encode_user_record(user));
  }
}

// A record never seen before: decode, key and id checks, and the Ed25519 verification.
void check_new_record(benchmark::State& state) {
  const chord::Identity identity = identity_of(2);
  std::vector<std::string> values;
  for (std::uint64_t seq = 1; seq <= 4096; ++seq) {
    chord::UserRecord user = record_of(identity, seq);
    chord::sign_user_record(user, identity);
    values.push_back(chord::encode_user_record(user));
  }
  const chord::NodeId key = chord::NodeId::hash_of(record_of(identity, 1).handle);
  std::size_t next = 0;
  for (auto _ : state) {
    // Past 4096 the values repeat and hit the verification memo: keep the run short.
    const auto user = chord::decode_user_record(values[next++ % values.size()]);
    if (chord::check_user_record(key, *user, now_ms) != chord::RecordCheck::ok) {
      state.SkipWithError("check failed");
    }
  }
}
BENCHMARK(check_new_record)->Iterations(4096);

// The same bytes again (a replica, a second finder): the memo answers.
void check_known_record(benchmark::State& state) {
  const chord::Identity identity = identity_of(3);
  chord::UserRecord user = record_of(identity, 1);
  chord::sign_user_record(user, identity);
  const std::string value = chord::encode_user_record(user);
  const chord::NodeId key = chord::NodeId::hash_of(user.handle);
  for (auto _ : state) {
    const auto decoded = chord::decode_user_record(value);
    benchmark::DoNotOptimize(chord::check_user_record(key, *decoded, now_ms));
  }
}

bool pump(chord::net::TlsSession& client, chord::net::TlsSession& server,
          std::vector<std::uint8_t>& at_server, std::vector<std::uint8_t>& at_client) {
  std::string error;
  for (int round = 0; round < 10; ++round) {
    const auto from_client = client.take_output();
    const auto from_server = server.take_output();
    if (from_client.empty() && from_server.empty()) return true;
    if (!server.feed(from_client, at_server, error) ||
        !client.feed(from_server, at_client, error)) {
      return false;
    }
  }
  return false;
}

// Both ends of a chat's set-up, in one thread: the TLS 1.3 handshake (X25519, two Ed25519
// certificate signatures and their checks) and the signed ChatOpen and ChatAccept.
void chat_handshake(benchmark::State& state) {
  const chord::Identity alice = identity_of(4), bob = identity_of(5);
  std::string error;
  const auto alice_tls = chord::net::TlsIdentity::make(alice, "alice", error);
  const auto bob_tls = chord::net::TlsIdentity::make(bob, "bob", error);
  const std::vector<std::uint8_t> open_bytes(200, 7);
  for (auto _ : state) {
    chord::net::TlsSession client(alice_tls->client(), chord::net::TlsSession::Role::client);
    chord::net::TlsSession server(bob_tls->server(), chord::net::TlsSession::Role::server);
    std::vector<std::uint8_t> at_server, at_client;
    if (!client.start() || !pump(client, server, at_server, at_client) || !client.established()) {
      state.SkipWithError("handshake failed");
      break;
    }
    const chord::Signature open = alice.sign(open_bytes);
    benchmark::DoNotOptimize(chord::verify_signature(alice.public_key(), open_bytes, open));
    const chord::Signature accept = bob.sign(open_bytes);
    benchmark::DoNotOptimize(chord::verify_signature(bob.public_key(), open_bytes, accept));
  }
}

// One chat text (a 120-byte frame) encrypted by one end and decrypted by the other.
void tls_message(benchmark::State& state) {
  const chord::Identity alice = identity_of(6), bob = identity_of(7);
  std::string error;
  const auto alice_tls = chord::net::TlsIdentity::make(alice, "alice", error);
  const auto bob_tls = chord::net::TlsIdentity::make(bob, "bob", error);
  chord::net::TlsSession client(alice_tls->client(), chord::net::TlsSession::Role::client);
  chord::net::TlsSession server(bob_tls->server(), chord::net::TlsSession::Role::server);
  std::vector<std::uint8_t> at_server, at_client;
  if (!client.start() || !pump(client, server, at_server, at_client)) {
    state.SkipWithError("handshake failed");
    return;
  }
  const std::vector<std::uint8_t> frame(120, 'x');
  for (auto _ : state) {
    at_server.clear();
    (void)client.write(frame);
    (void)server.feed(client.take_output(), at_server, error);
    benchmark::DoNotOptimize(at_server.data());
  }
}

}  // namespace

BENCHMARK(sign_record);
BENCHMARK(check_known_record);
BENCHMARK(chat_handshake);
BENCHMARK(tls_message);
BENCHMARK_MAIN();
