#include "core/result.h"

namespace chord {

std::string_view errc_name(Errc code) {
  switch (code) {
    case Errc::frame_too_long:
      return "frame_too_long";
    case Errc::frame_too_short:
      return "frame_too_short";
    case Errc::bad_version:
      return "bad_version";
    case Errc::undecodable:
      return "undecodable";
    case Errc::trailing_bytes:
      return "trailing_bytes";
    case Errc::unknown_message:
      return "unknown_message";
    case Errc::bad_hex:
      return "bad_hex";
    case Errc::bad_endpoint:
      return "bad_endpoint";
    case Errc::timeout:
      return "timeout";
    case Errc::queue_full:
      return "queue_full";
    case Errc::not_member:
      return "not_member";
  }
  return "unknown";
}

}  // namespace chord
