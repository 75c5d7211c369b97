// Identities and signed records: real Ed25519 (RFC 8032's test vector), ids bound to keys
// and names, and every way a record can be wrong, each refused with its reason.
#include "core/identity.h"

#include <gtest/gtest.h>

#include <set>

#include "core/user_record.h"

namespace chord {
namespace {

std::vector<std::uint8_t> from_hex(std::string_view hex) {
  std::vector<std::uint8_t> bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    bytes.push_back(
        static_cast<std::uint8_t>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
  return bytes;
}

template <std::size_t N>
std::array<std::uint8_t, N> array_from_hex(std::string_view hex) {
  const auto bytes = from_hex(hex);
  EXPECT_EQ(bytes.size(), N);
  std::array<std::uint8_t, N> out{};
  std::copy_n(bytes.begin(), std::min(N, bytes.size()), out.begin());
  return out;
}

Identity identity_of(std::uint8_t n) {
  IdentitySeed seed{};
  seed.fill(n);
  return Identity::from_seed(seed);
}

// RFC 8032 section 7.1, TEST 1: the empty message.
TEST(Identity, MatchesTheRfc8032TestVector) {
  const Identity identity = Identity::from_seed(
      array_from_hex<32>("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
  EXPECT_EQ(identity.public_key(),
            array_from_hex<32>("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"));
  const Signature signature = identity.sign({});
  EXPECT_EQ(signature, array_from_hex<64>("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e0"
                                          "65224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595b"
                                          "be24655141438e7a100b"));
  EXPECT_TRUE(verify_signature(identity.public_key(), {}, signature));
}

TEST(Identity, SignaturesVerifyOnlyForTheSameKeyAndMessage) {
  const Identity alice = identity_of(1);
  const Identity bob = identity_of(2);
  const std::vector<std::uint8_t> message = {'h', 'i'};
  const Signature signature = alice.sign(message);
  EXPECT_TRUE(verify_signature(alice.public_key(), message, signature));
  EXPECT_FALSE(verify_signature(bob.public_key(), message, signature));
  EXPECT_FALSE(
      verify_signature(alice.public_key(), std::vector<std::uint8_t>{'h', 'o'}, signature));
  Signature flipped = signature;
  flipped[10] ^= 1;
  EXPECT_FALSE(verify_signature(alice.public_key(), message, flipped));
  // Malformed keys and signatures are just false.
  PublicKey not_a_point{};
  not_a_point.fill(0xff);
  EXPECT_FALSE(verify_signature(not_a_point, message, signature));
  Signature zeros{};
  EXPECT_FALSE(verify_signature(alice.public_key(), message, zeros));
}

TEST(Identity, KeyFilesRoundTripAndBadOnesAreClearErrors) {
  const Identity alice = identity_of(3);
  const std::string pem = alice.to_pem();
  EXPECT_NE(pem.find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
  const auto again = Identity::from_pem(pem);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->public_key(), alice.public_key());

  EXPECT_FALSE(Identity::from_pem("").has_value());
  EXPECT_FALSE(Identity::from_pem("not a key at all").has_value());
  EXPECT_FALSE(Identity::from_pem(pem.substr(0, pem.size() / 2)).has_value());
  // An X25519 key is a valid PEM private key, but not an Ed25519 one.
  const auto x25519 = Identity::from_pem(
      "-----BEGIN PRIVATE KEY-----\n"
      "MC4CAQAwBQYDK2VuBCIEIDgpbcTKqPFz0w2Lz4l7U94/Q9cKtLKYENtrPW6p0Sdm\n"
      "-----END PRIVATE KEY-----\n");
  ASSERT_FALSE(x25519.has_value());
  EXPECT_STREQ(x25519.error().detail, "the key is not an Ed25519 key");
}

TEST(Identity, IdsAreBoundToTheKeyAndTheName) {
  const Identity alice = identity_of(4);
  const Identity mallory = identity_of(5);
  const std::string handle = handle_for("alice", alice.public_key());
  ASSERT_EQ(handle.size(), std::string("alice#").size() + user_id_chars);
  EXPECT_TRUE(valid_handle(handle));
  EXPECT_TRUE(handle_matches_key(handle, alice.public_key()));
  EXPECT_FALSE(handle_matches_key(handle, mallory.public_key()));
  EXPECT_NE(handle_for("alicf", alice.public_key()).substr(6), handle.substr(6))
      << "the name is hashed too: one key makes a different id per name";
  EXPECT_EQ(handle_for("alice", alice.public_key()), handle) << "the same every time";
  std::set<std::string> ids;
  for (std::uint8_t n = 0; n < 50; ++n)
    ids.insert(user_id_for("bob", identity_of(n).public_key()));
  EXPECT_EQ(ids.size(), 50u);
  EXPECT_FALSE(valid_handle("alice#abcdefgh"));       // the old 8-character ids
  EXPECT_FALSE(valid_handle("alice#abcdefghijk1"));   // '1' is not base32
  EXPECT_FALSE(valid_handle("al ice#abcdefghijkl"));  // a bad name
  EXPECT_FALSE(handle_matches_key("nohash", alice.public_key()));
}

class UserRecordCheck : public ::testing::Test {
 protected:
  UserRecordCheck() {
    record.handle = handle_for("bob", bob.public_key());
    record.endpoint = Endpoint::ipv4({10, 0, 0, 2}, 4500);
    record.public_key = bob.public_key();
    record.seq = 7;
    record.expires_ms = now_ms + 60000;
    sign_user_record(record, bob);
    key = NodeId::hash_of(record.handle);
  }
  RecordCheck check(const UserRecord& r) const { return check_user_record(key, r, now_ms); }

  const Identity bob = identity_of(6);
  const Identity mallory = identity_of(7);
  const std::int64_t now_ms = 1'767'225'600'000;
  UserRecord record;
  NodeId key;
};

TEST_F(UserRecordCheck, AGenuineRecordPassesAndRoundTrips) {
  EXPECT_EQ(check(record), RecordCheck::ok);
  const std::string bytes = encode_user_record(record);
  const auto decoded = decode_user_record(bytes);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, record);
  EXPECT_EQ(check(*decoded), RecordCheck::ok);
  EXPECT_EQ(owner_token(bob.public_key()), owner_token(decoded->public_key));
}

TEST_F(UserRecordCheck, EachWayOfBeingWrongIsRefusedWithItsReason) {
  UserRecord r = record;
  r.endpoint = Endpoint::ipv4({6, 6, 6, 6}, 4500);  // redirected: the signature breaks
  EXPECT_EQ(check(r), RecordCheck::bad_signature);
  r = record;
  r.seq = 8;  // a "newer" version nobody signed
  EXPECT_EQ(check(r), RecordCheck::bad_signature);
  r = record;
  r.kind = UserRecordKind::tombstone;  // a removal nobody signed
  EXPECT_EQ(check(r), RecordCheck::bad_signature);
  r = record;
  r.public_key = mallory.public_key();  // mallory's key under bob's name
  sign_user_record(r, mallory);
  EXPECT_EQ(check(r), RecordCheck::wrong_id);
  r = record;
  r.handle = handle_for("bob", mallory.public_key());  // a record of another handle
  sign_user_record(r, bob);
  EXPECT_EQ(check(r), RecordCheck::wrong_key);
  EXPECT_EQ(check_user_record(key, record, record.expires_ms + clock_skew_max_ms),
            RecordCheck::expired);
  EXPECT_EQ(check_user_record(key, record, record.expires_ms + clock_skew_max_ms - 1),
            RecordCheck::ok)
      << "clocks may disagree by clock_skew_max_ms";
  r = record;
  r.expires_ms = now_ms + user_record_lease_max_ms + clock_skew_max_ms + 1;
  sign_user_record(r, bob);
  EXPECT_EQ(check(r), RecordCheck::too_far);
  for (RecordCheck c : {RecordCheck::wrong_key, RecordCheck::wrong_id, RecordCheck::bad_signature,
                        RecordCheck::expired, RecordCheck::too_far}) {
    EXPECT_GT(std::string(record_check_text(c)).size(), 10u);
  }
}

TEST_F(UserRecordCheck, TheLeaseFollowsTheSignedExpiryWhateverTheUnsignedTimeLeftSays) {
  // Clocks agree: the lease is the signed time left, however short or long the
  // travelling (unsigned) lease says it is.
  EXPECT_EQ(lease_within_expiry(0, now_ms + 60000, now_ms), 60000u);
  EXPECT_EQ(lease_within_expiry(60000, now_ms + 60000, now_ms), 60000u);
  EXPECT_EQ(lease_within_expiry(UINT32_MAX, now_ms + 60000, now_ms),
            static_cast<std::uint32_t>(60000 + clock_skew_max_ms));
  // This clock ahead of the signer's by 30 s: the travelling lease counts, within the skew.
  EXPECT_EQ(lease_within_expiry(40000, now_ms + 10000, now_ms), 40000u);
  EXPECT_EQ(lease_within_expiry(40000, now_ms - 20000, now_ms), 40000u);
}

TEST_F(UserRecordCheck, MalformedBytesAreErrorsNeverCrashes) {
  const std::string bytes = encode_user_record(record);
  for (std::size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_FALSE(decode_user_record(bytes.substr(0, cut)).has_value()) << cut;
  }
  EXPECT_EQ(decode_user_record(bytes + "x").error().code, Errc::trailing_bytes);
  std::string unknown_format = bytes;
  unknown_format[0] = 2;
  EXPECT_FALSE(decode_user_record(unknown_format).has_value());
  std::string bad_kind = bytes;
  bad_kind[bytes.size() - 65] = 2;  // the kind byte, just before the signature
  EXPECT_FALSE(decode_user_record(bad_kind).has_value());
  std::string huge_handle = bytes;
  huge_handle[1] = static_cast<char>(0xff);  // a handle length far past the limit
  EXPECT_FALSE(decode_user_record(huge_handle).has_value());
}

}  // namespace
}  // namespace chord
