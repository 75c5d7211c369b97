// TLS 1.3 sessions through memory BIOs, two ends in one process: each learns the other's
// key from its certificate, data is encrypted, and bad input ends a session, never crashes.
#include "net_real/tls.h"

#include <gtest/gtest.h>
#include <openssl/ec.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <string>

namespace chord::net {
namespace {

Identity identity_of(std::uint8_t n) {
  IdentitySeed seed{};
  seed.fill(n);
  return Identity::from_seed(seed);
}

std::unique_ptr<TlsIdentity> tls_of(const Identity& identity, const std::string& name) {
  std::string error;
  auto tls = TlsIdentity::make(identity, handle_for(name, identity.public_key()), error);
  EXPECT_NE(tls, nullptr) << error;
  return tls;
}

// Moves bytes both ways until neither side has any to send (bounded rounds).
bool pump(TlsSession& client, TlsSession& server, std::vector<std::uint8_t>& to_server_plain,
          std::vector<std::uint8_t>& to_client_plain) {
  std::string error;
  for (int round = 0; round < 10; ++round) {
    const auto from_client = client.take_output();
    const auto from_server = server.take_output();
    if (from_client.empty() && from_server.empty()) return true;
    if (!server.feed(from_client, to_server_plain, error)) return false;
    if (!client.feed(from_server, to_client_plain, error)) return false;
  }
  return false;
}

TEST(Tls, BothEndsLearnTheOthersKeyAndTheBytesAreEncrypted) {
  const Identity alice = identity_of(1), bob = identity_of(2);
  const auto alice_tls = tls_of(alice, "alice"), bob_tls = tls_of(bob, "bob");
  TlsSession client(alice_tls->client(), TlsSession::Role::client);
  TlsSession server(bob_tls->server(), TlsSession::Role::server);
  ASSERT_TRUE(client.start());
  std::vector<std::uint8_t> at_server, at_client;
  ASSERT_TRUE(pump(client, server, at_server, at_client));
  ASSERT_TRUE(client.established());
  ASSERT_TRUE(server.established());
  EXPECT_EQ(client.peer_key(), bob.public_key());
  EXPECT_EQ(server.peer_key(), alice.public_key());

  const std::string secret = "meet me at the usual place";
  ASSERT_TRUE(client.write({reinterpret_cast<const std::uint8_t*>(secret.data()), secret.size()}));
  const auto wire = client.take_output();
  EXPECT_EQ(std::string(wire.begin(), wire.end()).find("usual place"), std::string::npos);
  std::string error;
  ASSERT_TRUE(server.feed(wire, at_server, error)) << error;
  EXPECT_EQ(std::string(at_server.begin(), at_server.end()), secret);
}

TEST(Tls, GarbageAndAClientWithoutACertificateEndTheSession) {
  const Identity bob = identity_of(3);
  const auto bob_tls = tls_of(bob, "bob");
  {
    TlsSession server(bob_tls->server(), TlsSession::Role::server);
    std::vector<std::uint8_t> plain;
    std::string error;
    const std::vector<std::uint8_t> garbage(300, 0x16);
    EXPECT_FALSE(server.feed(garbage, plain, error));
    EXPECT_FALSE(error.empty());
  }
  // A TLS client with no certificate: the server requires one.
  SSL_CTX* anonymous = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(anonymous, TLS1_3_VERSION);
  SSL_CTX_set_verify(anonymous, SSL_VERIFY_NONE, nullptr);
  {
    TlsSession client(anonymous, TlsSession::Role::client);
    TlsSession server(bob_tls->server(), TlsSession::Role::server);
    ASSERT_TRUE(client.start());
    std::vector<std::uint8_t> at_server, at_client;
    EXPECT_FALSE(pump(client, server, at_server, at_client));
    EXPECT_FALSE(server.established() && server.peer_key().has_value());
  }
  SSL_CTX_free(anonymous);
}

// A peer whose certificate is not an Ed25519 one (here ECDSA P-256) has no key to check:
// the session says so (UvNode then drops it), and so does the DER parser for garbage.
TEST(Tls, AnotherKindOfCertificateOrGarbageGivesNoKey) {
  EVP_PKEY* ec = EVP_EC_gen("P-256");
  ASSERT_NE(ec, nullptr);
  X509* certificate = X509_new();
  X509_set_version(certificate, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(certificate), 1);
  X509_gmtime_adj(X509_getm_notBefore(certificate), 0);
  X509_gmtime_adj(X509_getm_notAfter(certificate), 3600);
  X509_set_pubkey(certificate, ec);
  X509_sign(certificate, ec, EVP_sha256());
  SSL_CTX* ecdsa = SSL_CTX_new(TLS_server_method());
  SSL_CTX_set_min_proto_version(ecdsa, TLS1_3_VERSION);
  ASSERT_EQ(SSL_CTX_use_certificate(ecdsa, certificate), 1);
  ASSERT_EQ(SSL_CTX_use_PrivateKey(ecdsa, ec), 1);
  unsigned char* der = nullptr;
  const int der_size = i2d_X509(certificate, &der);
  ASSERT_GT(der_size, 0);
  EXPECT_FALSE(certificate_key({der, static_cast<std::size_t>(der_size)}).has_value());
  OPENSSL_free(der);
  X509_free(certificate);
  EVP_PKEY_free(ec);
  {
    const Identity alice = identity_of(9);
    const auto alice_tls = tls_of(alice, "alice");
    TlsSession client(alice_tls->client(), TlsSession::Role::client);
    TlsSession server(ecdsa, TlsSession::Role::server);
    ASSERT_TRUE(client.start());
    std::vector<std::uint8_t> at_server, at_client;
    pump(client, server, at_server, at_client);
    ASSERT_TRUE(client.established());
    EXPECT_FALSE(client.peer_key().has_value()) << "not an Ed25519 certificate";
  }
  SSL_CTX_free(ecdsa);
  const std::vector<std::uint8_t> garbage(500, 0x30);
  EXPECT_FALSE(certificate_key(garbage).has_value());
}

}  // namespace
}  // namespace chord::net
