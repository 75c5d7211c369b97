#include "net_real/tls.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <array>

#include "core/assert.h"

namespace chord::net {
namespace {

constexpr long certificate_days = 3650;

// Self-signed certificates are what we expect: the peer's key is checked by the caller
// after the handshake, against the key its name#id is bound to.
int accept_self_signed(int, X509_STORE_CTX*) {
  return 1;
}

std::string openssl_error(const char* what) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  std::string text = what;
  if (code != 0) {
    char reason[256];
    ERR_error_string_n(code, reason, sizeof reason);
    text += ": ";
    text += reason;
  }
  return text;
}

struct X509Free {
  void operator()(X509* certificate) const { X509_free(certificate); }
};

SSL_CTX* make_context(bool server, X509* certificate, EVP_PKEY* key) {
  SSL_CTX* context = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  if (context == nullptr) return nullptr;
  const bool ok = SSL_CTX_set_min_proto_version(context, TLS1_3_VERSION) == 1 &&
                  SSL_CTX_set_max_proto_version(context, TLS1_3_VERSION) == 1 &&
                  SSL_CTX_use_certificate(context, certificate) == 1 &&
                  SSL_CTX_use_PrivateKey(context, key) == 1 &&
                  SSL_CTX_check_private_key(context) == 1;
  if (!ok) {
    SSL_CTX_free(context);
    return nullptr;
  }
  SSL_CTX_set_verify(context, SSL_VERIFY_PEER | (server ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
                     &accept_self_signed);
  SSL_CTX_set_session_cache_mode(context, SSL_SESS_CACHE_OFF);
  if (server) SSL_CTX_set_num_tickets(context, 0);  // no resumption: nothing to keep
  return context;
}

std::optional<PublicKey> ed25519_key_of(X509* certificate) {
  EVP_PKEY* key = X509_get0_pubkey(certificate);
  PublicKey raw{};
  std::size_t length = raw.size();
  std::optional<PublicKey> found;
  if (key != nullptr && EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 &&
      EVP_PKEY_get_raw_public_key(key, raw.data(), &length) == 1 && length == raw.size()) {
    found = raw;
  }
  ERR_clear_error();
  return found;
}

}  // namespace

std::optional<PublicKey> certificate_key(std::span<const std::uint8_t> der) {
  if (der.size() > 64 * 1024) return std::nullopt;
  const unsigned char* next = der.data();
  std::unique_ptr<X509, X509Free> certificate(
      d2i_X509(nullptr, &next, static_cast<long>(der.size())));
  if (!certificate) {
    ERR_clear_error();
    return std::nullopt;
  }
  return ed25519_key_of(certificate.get());
}

std::unique_ptr<TlsIdentity> TlsIdentity::make(const Identity& identity,
                                               const std::string& common_name, std::string& error) {
  EVP_PKEY* key = identity.native_key();
  std::unique_ptr<X509, X509Free> certificate(X509_new());
  if (!certificate) {
    error = openssl_error("cannot make a certificate");
    return nullptr;
  }
  X509_NAME* name = X509_get_subject_name(certificate.get());
  const bool made =
      X509_set_version(certificate.get(), 2) == 1 &&
      ASN1_INTEGER_set(X509_get_serialNumber(certificate.get()), 1) == 1 &&
      X509_gmtime_adj(X509_getm_notBefore(certificate.get()), -3600) != nullptr &&
      X509_gmtime_adj(X509_getm_notAfter(certificate.get()), certificate_days * 24 * 3600) !=
          nullptr &&
      X509_set_pubkey(certificate.get(), key) == 1 &&
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                 -1, 0) == 1 &&
      X509_set_issuer_name(certificate.get(), name) == 1 &&
      X509_sign(certificate.get(), key, nullptr) > 0;  // Ed25519 takes no digest
  if (!made) {
    error = openssl_error("cannot make a certificate");
    return nullptr;
  }
  std::unique_ptr<TlsIdentity> tls(new TlsIdentity());
  tls->client_ = make_context(false, certificate.get(), key);
  tls->server_ = make_context(true, certificate.get(), key);
  if (tls->client_ == nullptr || tls->server_ == nullptr) {
    error = openssl_error("cannot make a TLS context");
    return nullptr;
  }
  tls->public_key_ = identity.public_key();
  return tls;
}

TlsIdentity::~TlsIdentity() {
  SSL_CTX_free(client_);
  SSL_CTX_free(server_);
}

TlsSession::TlsSession(ssl_ctx_st* context, Role role) : role_(role) {
  ssl_ = SSL_new(context);
  CHORD_ASSERT(ssl_ != nullptr);
  BIO* from_network = BIO_new(BIO_s_mem());
  BIO* to_network = BIO_new(BIO_s_mem());
  CHORD_ASSERT(from_network != nullptr && to_network != nullptr);
  SSL_set_bio(ssl_, from_network, to_network);  // the session owns both now
  if (role_ == Role::client) {
    SSL_set_connect_state(ssl_);
  } else {
    SSL_set_accept_state(ssl_);
  }
}

TlsSession::~TlsSession() {
  SSL_free(ssl_);
}

bool TlsSession::start() {
  std::string error;
  return advance(nullptr, error);
}

bool TlsSession::feed(std::span<const std::uint8_t> ciphertext,
                      std::vector<std::uint8_t>& plaintext, std::string& error) {
  if (!ciphertext.empty()) {
    const int written =
        BIO_write(SSL_get_rbio(ssl_), ciphertext.data(), static_cast<int>(ciphertext.size()));
    if (written != static_cast<int>(ciphertext.size())) {
      error = openssl_error("cannot buffer TLS input");
      return false;
    }
  }
  return advance(&plaintext, error);
}

bool TlsSession::advance(std::vector<std::uint8_t>* plaintext, std::string& error) {
  if (!established_) {
    const int result = SSL_do_handshake(ssl_);
    if (result != 1) {
      const int why = SSL_get_error(ssl_, result);
      if (why == SSL_ERROR_WANT_READ || why == SSL_ERROR_WANT_WRITE) return true;
      error = openssl_error("TLS handshake failed");
      return false;
    }
    established_ = true;
    if (X509* peer = SSL_get0_peer_certificate(ssl_)) peer_key_ = ed25519_key_of(peer);
    ERR_clear_error();
  }
  if (plaintext == nullptr) return true;
  std::array<std::uint8_t, 16 * 1024> buffer{};
  for (;;) {  // bounded: each round consumes buffered input, which is finite
    const int count = SSL_read(ssl_, buffer.data(), static_cast<int>(buffer.size()));
    if (count > 0) {
      plaintext->insert(plaintext->end(), buffer.begin(), buffer.begin() + count);
      continue;
    }
    const int why = SSL_get_error(ssl_, count);
    if (why == SSL_ERROR_WANT_READ || why == SSL_ERROR_WANT_WRITE) return true;
    error = why == SSL_ERROR_ZERO_RETURN ? std::string("the peer closed the TLS session")
                                         : openssl_error("TLS read failed");
    return false;
  }
}

bool TlsSession::write(std::span<const std::uint8_t> plaintext) {
  CHORD_ASSERT(established_);
  if (plaintext.empty()) return true;
  const int written = SSL_write(ssl_, plaintext.data(), static_cast<int>(plaintext.size()));
  if (written != static_cast<int>(plaintext.size())) {
    ERR_clear_error();
    return false;
  }
  return true;
}

std::vector<std::uint8_t> TlsSession::take_output() {
  BIO* to_network = SSL_get_wbio(ssl_);
  const std::size_t pending = BIO_ctrl_pending(to_network);
  std::vector<std::uint8_t> out(pending);
  if (pending > 0) {
    const int read = BIO_read(to_network, out.data(), static_cast<int>(pending));
    out.resize(read > 0 ? static_cast<std::size_t>(read) : 0);
  }
  return out;
}

}  // namespace chord::net
