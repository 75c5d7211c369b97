#include "net_real/identity_file.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/assert.h"

namespace chord::net {
namespace {

constexpr std::size_t key_file_bytes_max = 64 * 1024;

std::string system_error(const std::string& path, const char* doing) {
  return path + ": " + doing + ": " + std::strerror(errno);
}

IdentityFile failed(std::string error) {
  IdentityFile result;
  result.error = std::move(error);
  return result;
}

IdentityFile create(const std::string& path) {
  Identity identity = generate_identity();
  const std::string pem = identity.to_pem();
  // O_EXCL: never overwrite a file that appeared meanwhile; O_NOFOLLOW: never write
  // through a symlink someone planted.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return failed(system_error(path, "cannot create the key file"));
  std::size_t written = 0;
  while (written < pem.size()) {
    const ssize_t count = ::write(fd, pem.data() + written, pem.size() - written);
    if (count < 0 && errno == EINTR) continue;
    if (count <= 0) {
      const std::string error = system_error(path, "cannot write the key file");
      ::close(fd);
      ::unlink(path.c_str());
      return failed(error);
    }
    written += static_cast<std::size_t>(count);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const std::string error = system_error(path, "cannot write the key file");
    ::unlink(path.c_str());
    return failed(error);
  }
  IdentityFile result;
  result.identity = std::move(identity);
  result.created = true;
  return result;
}

}  // namespace

Identity generate_identity() {
  IdentitySeed seed{};
  CHORD_ASSERT(RAND_priv_bytes(seed.data(), static_cast<int>(seed.size())) == 1);
  Identity identity = Identity::from_seed(seed);
  OPENSSL_cleanse(seed.data(), seed.size());
  return identity;
}

IdentityFile load_or_create_identity(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) return create(path);
  if (fd < 0) return failed(system_error(path, "cannot open the key file"));
  struct stat info {};
  if (::fstat(fd, &info) != 0) {
    const std::string error = system_error(path, "cannot read the key file");
    ::close(fd);
    return failed(error);
  }
  if (!S_ISREG(info.st_mode)) {
    ::close(fd);
    return failed(path + ": not a regular file");
  }
  if ((info.st_mode & 077) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
    return failed(path + ": the key file is open to other users (mode " + mode +
                  "); make it private with: chmod 600 " + path);
  }
  if (static_cast<std::size_t>(info.st_size) > key_file_bytes_max) {
    ::close(fd);
    return failed(path + ": too large for a key file");
  }
  std::string pem(key_file_bytes_max, '\0');
  std::size_t size = 0;
  for (;;) {
    const ssize_t count = ::read(fd, pem.data() + size, pem.size() - size);
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) {
      const std::string error = system_error(path, "cannot read the key file");
      ::close(fd);
      return failed(error);
    }
    if (count == 0 || size + static_cast<std::size_t>(count) == pem.size()) {
      size += static_cast<std::size_t>(count);
      break;
    }
    size += static_cast<std::size_t>(count);
  }
  ::close(fd);
  pem.resize(size);
  auto identity = Identity::from_pem(pem);
  OPENSSL_cleanse(pem.data(), pem.size());
  if (!identity) {
    return failed(path + ": not a usable key file: " + identity.error().detail +
                  " (expected an Ed25519 private key in PEM, as chordnode writes)");
  }
  IdentityFile result;
  result.identity = std::move(identity).value();
  return result;
}

}  // namespace chord::net
