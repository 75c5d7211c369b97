#include "core/peer_list.h"

#include <cstring>

namespace chord {
namespace {

// An endpoint whose address fits an entry: IPv4 (or none) with nothing past the 4 bytes.
bool fits_inline(const Endpoint& endpoint) {
  // (The same test as PeerList::operator[]'s: what is not IPv4 or unset goes aside.)
  if (endpoint.family != AddressFamily::ipv4 && endpoint.family != AddressFamily::none) {
    return false;
  }
  return std::all_of(endpoint.address.begin() + 4, endpoint.address.end(),
                     [](std::uint8_t byte) { return byte == 0; });
}

std::uint32_t side_index(const PeerList::Entry& entry) {
  std::uint32_t index = 0;
  std::memcpy(&index, entry.address.data(), sizeof index);
  return index;
}

void set_side_index(PeerList::Entry& entry, std::uint32_t index) {
  std::memcpy(entry.address.data(), &index, sizeof index);
}

// In the side table: an IPv6 entry, or one whose address had more bytes than its family
// uses (not made by Endpoint's own functions, but kept exact all the same). The entry's
// family is then the endpoint's with the top bit set, a value no endpoint has.
constexpr std::uint8_t side_flag = 0x80;

bool uses_side(const PeerList::Entry& entry) {
  return (static_cast<std::uint8_t>(entry.family) & side_flag) != 0;
}

}  // namespace

PeerList::PeerList(const PeerList& other) : entries_(other.entries_) {
  if (other.side_) side_ = std::make_unique<std::vector<Address>>(*other.side_);
}

PeerList& PeerList::operator=(const PeerList& other) {
  if (this != &other) {
    entries_ = other.entries_;
    side_ = other.side_ ? std::make_unique<std::vector<Address>>(*other.side_) : nullptr;
  }
  return *this;
}

Peer PeerList::unpack_side(const Entry& entry, Peer peer) const {
  peer.endpoint.address = (*side_)[side_index(entry)];
  peer.endpoint.family =
      static_cast<AddressFamily>(static_cast<std::uint8_t>(entry.family) & ~side_flag & 0xff);
  return peer;
}

std::size_t PeerList::find(const NodeId& id) const {
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].id == id) return i;
  }
  return entries_.size();
}

PeerList::Entry PeerList::pack(const Peer& peer) {
  Entry entry;
  entry.id = peer.id;
  entry.port = peer.endpoint.port;
  entry.family = peer.endpoint.family;
  if (fits_inline(peer.endpoint)) {
    std::copy_n(peer.endpoint.address.begin(), entry.address.size(), entry.address.begin());
    return entry;
  }
  entry.family = static_cast<AddressFamily>(static_cast<std::uint8_t>(entry.family) | side_flag);
  if (!side_) side_ = std::make_unique<std::vector<Address>>();
  compact_side();
  set_side_index(entry, static_cast<std::uint32_t>(side_->size()));
  side_->push_back(peer.endpoint.address);
  return entry;
}

void PeerList::compact_side() {
  const auto in_use =
      static_cast<std::size_t>(std::count_if(entries_.begin(), entries_.end(), uses_side));
  if (side_->size() <= 2 * in_use + 4) return;
  std::vector<Address> kept;
  kept.reserve(in_use + 1);
  for (Entry& entry : entries_) {
    if (!uses_side(entry)) continue;
    const Address address = (*side_)[side_index(entry)];
    set_side_index(entry, static_cast<std::uint32_t>(kept.size()));
    kept.push_back(address);
  }
  *side_ = std::move(kept);
}

void PeerList::insert(std::size_t index, const Peer& peer) {
  const Entry entry = pack(peer);
  entries_.insert(entries_.begin() + static_cast<std::ptrdiff_t>(index), entry);
}

void PeerList::erase(std::size_t index) {
  entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(index));
}

void PeerList::erase_first(std::size_t count) {
  entries_.erase(entries_.begin(),
                 entries_.begin() + static_cast<std::ptrdiff_t>(std::min(count, entries_.size())));
}

void PeerList::clear() {
  entries_.clear();
  side_.reset();
}

void PeerList::assign(std::span<const Peer> peers) {
  clear();
  entries_.reserve(peers.size());
  for (const Peer& peer : peers)
    entries_.push_back(pack(peer));
}

void PeerList::assign_one(const Peer& peer) {
  clear();
  entries_.push_back(pack(peer));
}

bool operator==(const PeerList& a, const PeerList& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin());
}

}  // namespace chord
