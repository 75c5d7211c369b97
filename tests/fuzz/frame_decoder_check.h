// The property the fuzz target checks on every input, shared with the GoogleTest case that
// replays the corpus (tests/core/fuzz_corpus_test.cc) so gcc and ASan builds run it too.
//
// Feeds `data` to a FrameDecoder in pieces whose sizes come from the data itself, and for
// every message decoded: its encoded size is what encoding produces, and decoding that
// encoding gives the same message; record values, and the input itself, go through
// check_signed_inputs. Returns false on the first violation, with `why` set;
// never throws. Errors from the decoder are fine (that is what they are for).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "core/codec.h"
#include "core/identity.h"
#include "core/user_record.h"

namespace chord::fuzz {

struct CheckStats {
  std::size_t messages = 0;
  std::size_t errors = 0;
  std::size_t records = 0;  // values that decoded as a UserRecord
};

// Hostile bytes as the signed parts of the protocol see them: a record value (decoded,
// re-encoded, checked against its key), a key file (PEM) and a key and signature to verify.
// Each may fail, never crash; a record that decodes must re-encode to the same bytes.
inline bool check_signed_inputs(std::span<const std::uint8_t> data, const NodeId& key,
                                CheckStats& stats, std::string& why) {
  const std::string_view bytes(reinterpret_cast<const char*>(data.data()), data.size());
  const auto record = decode_user_record(bytes);
  if (record) {
    ++stats.records;
    if (encode_user_record(*record) != bytes) {
      why = "a decoded record does not re-encode to the same bytes";
      return false;
    }
    (void)check_user_record(key, *record, 0);
    (void)check_user_record(NodeId::hash_of(record->handle), *record, record->expires_ms - 1);
  }
  (void)Identity::from_pem(bytes);
  if (data.size() >= public_key_bytes + signature_bytes) {
    PublicKey public_key{};
    Signature signature{};
    std::copy_n(data.begin(), public_key.size(), public_key.begin());
    std::copy_n(data.begin() + public_key_bytes, signature.size(), signature.begin());
    (void)verify_signature(public_key, data.subspan(public_key_bytes + signature_bytes), signature);
  }
  return true;
}

// The record values a message carries, through check_signed_inputs.
inline bool check_message_records(const Message& message, CheckStats& stats, std::string& why) {
  auto check = [&](const NodeId& key, const std::string& value) {
    const std::span<const std::uint8_t> bytes(reinterpret_cast<const std::uint8_t*>(value.data()),
                                              value.size());
    return check_signed_inputs(bytes, key, stats, why);
  };
  if (const auto* put = std::get_if<DhtPut>(&message))
    return check(put->record.key, put->record.value);
  if (const auto* reply = std::get_if<DhtGetReply>(&message)) return check(NodeId(), reply->value);
  if (const auto* open = std::get_if<ChatOpen>(&message)) {  // its key, id and signature
    (void)handle_matches_key(open->from_user, open->from_key);
    const std::span<const std::uint8_t> signed_part(
        reinterpret_cast<const std::uint8_t*>(open->to_user.data()), open->to_user.size());
    (void)verify_signature(open->from_key, signed_part, open->signature);
    (void)verify_signature(open->to_key, signed_part, open->signature);
  }
  if (const auto* accept = std::get_if<ChatAccept>(&message)) {
    (void)verify_signature(PublicKey{}, std::span<const std::uint8_t>{}, accept->signature);
  }
  if (const auto* transfer = std::get_if<RecordTransfer>(&message)) {
    for (const Record& record : transfer->records) {
      if (!check(record.key, record.value)) return false;
    }
  }
  return true;
}

inline bool check_frame_decoder(std::span<const std::uint8_t> data, CheckStats& stats,
                                std::string& why) {
  if (!check_signed_inputs(data, NodeId(), stats, why)) return false;
  FrameDecoder decoder(frame_bytes_max_min);
  std::size_t offset = 0;
  std::size_t piece_seed = data.empty() ? 1 : data[0];
  // Bounded: every round feeds at least one byte; draining stops at "need more" or fatal.
  while (offset < data.size()) {
    const std::size_t piece = std::min<std::size_t>(data.size() - offset, 1 + piece_seed % 97);
    piece_seed = piece_seed * 31 + 7;
    decoder.feed(data.subspan(offset, piece));
    offset += piece;
    for (std::size_t guard = 0; guard <= data.size(); ++guard) {
      auto next = decoder.next();
      if (!next) {
        ++stats.errors;
        if (decoder.failed()) return true;
        continue;
      }
      if (!next->has_value()) break;
      const Message& message = **next;
      ++stats.messages;
      if (!check_message_records(message, stats, why)) return false;
      std::vector<std::uint8_t> again;
      encode_frame(message, again);
      if (again.size() != encoded_frame_size(message)) {
        why = std::string("encoded size differs for ") + message_name(message);
        return false;
      }
      FrameDecoder second;
      second.feed(again);
      auto round_trip = second.next();
      if (!round_trip || !round_trip->has_value() || !(**round_trip == message)) {
        why = std::string("re-encoding does not round-trip for ") + message_name(message);
        return false;
      }
    }
  }
  return true;
}

}  // namespace chord::fuzz
