// chordwire: looks at the wire format from the command line.
//
//   chordwire key alice#k3xq2mabz7pd      the DHT key (SHA-1) a user handle is registered under
//   chordwire decode [FILE]         decodes a stream of frames (stdin by default), one line each
//   chordwire demo                  encodes one message of each type and decodes the stream
//
// Exit codes: 0 success, 1 a stream held bad frames, 2 a bad command line or unreadable file.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <vector>

#include "core/codec.h"
#include "core/node_id.h"

namespace {

using Bytes = std::vector<std::uint8_t>;

// Decodes `bytes` in 4 KiB pieces, as a socket would deliver them; prints a line per frame.
int print_frames(const Bytes& bytes) {
  chord::FrameDecoder decoder;
  std::size_t frames = 0, errors = 0, offset = 0;
  while (offset < bytes.size() && !decoder.failed()) {
    const std::size_t piece = std::min<std::size_t>(4096, bytes.size() - offset);
    decoder.feed({bytes.data() + offset, piece});
    offset += piece;
    for (;;) {
      auto next = decoder.next();
      if (!next) {
        ++errors;
        std::printf("error  %-16s %s\n", std::string(chord::errc_name(next.error().code)).c_str(),
                    next.error().detail);
        if (decoder.failed()) break;
        continue;
      }
      if (!next->has_value()) break;
      ++frames;
      std::printf("frame  %-24s %5zu bytes\n", chord::message_name(**next),
                  chord::encoded_frame_size(**next));
    }
  }
  if (decoder.buffered_bytes() > 0 && !decoder.failed()) {
    ++errors;
    std::printf("error  %zu bytes left: the stream ends inside a frame\n",
                decoder.buffered_bytes());
  }
  std::printf("%zu frames, %zu errors, %zu bytes\n", frames, errors, bytes.size());
  return errors == 0 ? 0 : 1;
}

chord::Message demo_message(std::size_t index) {
  using namespace chord;
  const Peer peer{NodeId::hash_of("127.0.0.1:4001"), Endpoint::ipv4({127, 0, 0, 1}, 4001)};
  SuccessorList successors;
  for (std::uint16_t port = 4002; port < 4010; ++port) {
    successors.push_back({NodeId::hash_of("127.0.0.1:" + std::to_string(port)),
                          Endpoint::ipv4({127, 0, 0, 1}, port)});
  }
  const NodeId key = NodeId::hash_of("alice#k3xq2mabz7pd");
  const Record record{key, 42, 1, 60000, "127.0.0.1:4001"};
  RecordChunk chunk;
  chunk.push_back(record);
  LookupPeers lookup;
  lookup.push_back(peer);
  switch (index) {
    case 0:
      return Hello{peer.endpoint};
    case 1:
      return FindSuccessorRequest{1, key, 0};
    case 2:
      return FindSuccessorReply{1, peer.id, 0, LookupStatus::next, lookup};
    case 3:
      return GetStateRequest{2};
    case 4:
      return GetStateReply{2, StateStatus::ok, peer, successors};
    case 5:
      return Notify{peer.id};
    case 6:
      return Ping{3};
    case 7:
      return Pong{3};
    case 8:
      return Leave{peer.id, peer, successors};
    case 9:
      return DhtPut{4, record};
    case 10:
      return DhtPutReply{4, DhtStatus::ok};
    case 11:
      return DhtGet{5, key};
    case 12:
      return DhtGetReply{5, DhtStatus::ok, 59000, record.value};
    case 13:
      return DhtRemove{6, key, 42};
    case 14:
      return DhtRemoveReply{6, DhtStatus::ok};
    case 15:
      return RecordTransfer{7, TransferKind::handover, chunk};
    case 16:
      return RecordTransferAck{7, DhtStatus::ok};
    case 17:
      return ChatOpen{9, "alice#k3xq2mabz7pd", "bob#7hq2mzcdw4na"};
    case 18:
      return ChatText{9, 1, "hello bob"};
    case 19:
      return ChatClose{9, 2, CloseReason::ended_by_user};
    default:
      return ChatAck{9, 2, ChatStatus::ok};
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"chordwire: the chordchat wire format from the command line"};
  app.require_subcommand(1);

  std::string handle;
  auto* key = app.add_subcommand("key", "print the DHT key (SHA-1) of a user handle NAME#ID");
  key->add_option("handle", handle, "user handle, e.g. alice#k3xq2mabz7pd")->required();

  std::string path;
  auto* decode = app.add_subcommand("decode", "decode a stream of frames, one line per frame");
  decode->add_option("file", path, "file of frames (default: standard input)");

  auto* demo = app.add_subcommand("demo", "encode one message of each type, then decode them");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }

  if (*key) {
    std::printf("%s\n", chord::NodeId::hash_of(handle).to_hex().c_str());
    return 0;
  }
  if (*decode) {
    Bytes bytes;
    if (path.empty()) {
      bytes.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else {
      std::ifstream in(path, std::ios::binary);
      if (!in) {
        std::fprintf(stderr, "chordwire: cannot read %s\n", path.c_str());
        return 2;
      }
      bytes.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    return print_frames(bytes);
  }
  if (*demo) {
    Bytes stream;
    for (std::size_t i = 0; i < std::variant_size_v<chord::Message>; ++i) {
      chord::encode_frame(demo_message(i), stream);
    }
    std::printf("encoded one message of each of the %zu types; decoding:\n",
                std::variant_size_v<chord::Message>);
    return print_frames(stream);
  }
  return 2;
}
