// TLS 1.3 for chats (OpenSSL), driven through memory BIOs so that libuv keeps the socket.
//
// Each user session has a self-signed certificate made from its Ed25519 key (TlsIdentity).
// Both sides present one: the server requires the client's. Certificates are not checked
// against any authority, since there is none; what each side checks instead, once the
// handshake is done, is that the peer's certificate key is the key of the name#id it meant
// to talk to (UvNode: the key the opener found in the signed record, or the key the
// opener's ChatOpen proved). A session never decides that itself: peer_key() says what
// the peer proved, the caller compares.
//
// A TlsSession is fed ciphertext from the socket (feed), given plaintext to send (write,
// once established and the peer's key checked: the caller holds plaintext until then) and
// drained of ciphertext for the socket (take_output). No call blocks or touches a socket.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/identity.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX
struct ssl_st;      // OpenSSL's SSL

namespace chord::net {

// The Ed25519 key of a certificate in DER, as a session takes it from its peer; nullopt
// for anything else (not a certificate, another kind of key).
std::optional<PublicKey> certificate_key(std::span<const std::uint8_t> der);

class TlsIdentity {
 public:
  // Contexts for both roles, with a self-signed certificate for `identity`'s key, CN
  // `common_name`. nullptr and `error` set if OpenSSL refuses (it should not).
  static std::unique_ptr<TlsIdentity> make(const Identity& identity, const std::string& common_name,
                                           std::string& error);
  ~TlsIdentity();
  TlsIdentity(const TlsIdentity&) = delete;
  TlsIdentity& operator=(const TlsIdentity&) = delete;

  ssl_ctx_st* client() const { return client_; }
  ssl_ctx_st* server() const { return server_; }
  const PublicKey& public_key() const { return public_key_; }

 private:
  TlsIdentity() = default;
  ssl_ctx_st* client_ = nullptr;
  ssl_ctx_st* server_ = nullptr;
  PublicKey public_key_{};
};

class TlsSession {
 public:
  enum class Role : std::uint8_t { client, server };
  // `context` (TlsIdentity::client() or server()) must outlive the session.
  TlsSession(ssl_ctx_st* context, Role role);
  ~TlsSession();
  TlsSession(const TlsSession&) = delete;
  TlsSession& operator=(const TlsSession&) = delete;

  // Starts the handshake (a client's ClientHello goes to the output). False on failure.
  bool start();
  // Ciphertext from the socket; plaintext that it completes is appended to `plaintext`.
  // False on a fatal TLS error (the connection must be closed); `error` says which.
  bool feed(std::span<const std::uint8_t> ciphertext, std::vector<std::uint8_t>& plaintext,
            std::string& error);
  // Plaintext to send. REQUIRES: established(). False on a fatal error.
  bool write(std::span<const std::uint8_t> plaintext);
  // Ciphertext waiting for the socket (handshake records and encrypted data).
  std::vector<std::uint8_t> take_output();

  bool established() const { return established_; }
  // The peer certificate's Ed25519 key, once established (nullopt if it had no Ed25519
  // certificate: the caller must then close the connection).
  const std::optional<PublicKey>& peer_key() const { return peer_key_; }

 private:
  bool advance(std::vector<std::uint8_t>* plaintext, std::string& error);

  ssl_st* ssl_ = nullptr;
  Role role_;
  bool established_ = false;
  std::optional<PublicKey> peer_key_;
};

}  // namespace chord::net
