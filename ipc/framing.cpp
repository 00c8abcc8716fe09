#include "ipc/framing.h"

#include <capnp/any.h>
#include <capnp/dynamic.h>
#include <kj/exception.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/sys_error.h"

namespace checker::ipc {
namespace {

constexpr size_t kWordBytes = sizeof(capnp::word);

uint32_t readLe32(std::string_view bytes, size_t offset) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data() + offset);
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

std::string oversize(uint64_t declared, size_t cap) {
  return "oversize frame: declares at least " + std::to_string(declared) +
         " bytes, cap is " + std::to_string(cap);
}

// One traversal's worth of the cap: what a validation pass may read. A
// message that passes it leaves the full kTraversalsPerFrame budget of the
// caller's reader to the caller's own reads.
capnp::ReaderOptions validationOptionsFor(size_t maxFrameBytes) {
  capnp::ReaderOptions options = readerOptionsFor(maxFrameBytes);
  options.traversalLimitInWords /= kTraversalsPerFrame;
  return options;
}

// kj's description can quote the offending bytes, NULs included: keep it
// whole and printable, since it ends up in a log line.
std::string describe(const kj::Exception& e) {
  kj::StringPtr text = e.getDescription();
  std::string out(text.begin(), text.size());
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  return out;
}

// Reads every field the schema knows, so that anything the generated
// accessors could throw on is thrown here instead. Reading a list checks
// its bounds, so lists of scalars need no walk of their elements.
void walkValue(const capnp::DynamicValue::Reader& value);

void walkStruct(const capnp::DynamicStruct::Reader& object) {
  for (auto field : object.getSchema().getNonUnionFields()) {
    walkValue(object.get(field));
  }
  KJ_IF_MAYBE(active, object.which()) {
    walkValue(object.get(*active));
  }
}

void walkList(const capnp::DynamicList::Reader& list) {
  switch (list.getSchema().whichElementType()) {
    case capnp::schema::Type::TEXT:
    case capnp::schema::Type::DATA:
    case capnp::schema::Type::LIST:
    case capnp::schema::Type::STRUCT:
      for (auto element : list) walkValue(element);
      break;
    default:
      break;
  }
}

void walkValue(const capnp::DynamicValue::Reader& value) {
  switch (value.getType()) {
    case capnp::DynamicValue::STRUCT:
      walkStruct(value.as<capnp::DynamicStruct>());
      break;
    case capnp::DynamicValue::LIST:
      walkList(value.as<capnp::DynamicList>());
      break;
    default:
      break;  // scalars, text and data were checked by reading them
  }
}

// Reads exactly `size` bytes unless EOF comes first; returns how many came.
size_t readFully(int fd, char* data, size_t size) {
  size_t got = 0;
  while (got < size) {
    ssize_t n = ::read(fd, data + got, size - got);
    if (n > 0) {
      got += static_cast<size_t>(n);
    } else if (n == 0) {
      break;
    } else if (errno != EINTR) {
      throw SysError("read", "fd " + std::to_string(fd), errno);
    }
  }
  return got;
}

// Grows `frame` to `size` bytes from the fd; EOF before that is truncation.
void readUpTo(int fd, std::string& frame, size_t size) {
  size_t had = frame.size();
  frame.resize(size);
  size_t got = readFully(fd, frame.data() + had, size - had);
  if (got < size - had) {
    throw FrameError("truncated frame: EOF after " + std::to_string(had + got) + " of " +
                     std::to_string(size) + " bytes");
  }
}

}  // namespace

capnp::ReaderOptions readerOptionsFor(size_t maxFrameBytes) {
  capnp::ReaderOptions options;
  uint64_t capWords = std::max<uint64_t>(1, maxFrameBytes / kWordBytes);
  options.traversalLimitInWords = capWords * kTraversalsPerFrame;
  options.nestingLimit = 64;
  return options;
}

FramePrefix inspectFramePrefix(std::string_view bytes, size_t maxFrameBytes) {
  if (bytes.size() < 4) return {kWordBytes, false};
  uint32_t countField = readLe32(bytes, 0);
  if (countField == 0xFFFFFFFFu) {
    throw FrameError("malformed frame: segment count 0 (first word 0xFFFFFFFF)");
  }
  uint64_t segments = uint64_t{countField} + 1;
  if (segments > kMaxSegments) {
    throw FrameError("malformed frame: " + std::to_string(segments) + " segments, at most " +
                     std::to_string(kMaxSegments) + " allowed");
  }
  uint64_t tableBytes = (segments / 2 + 1) * kWordBytes;
  if (tableBytes > maxFrameBytes) throw FrameError(oversize(tableBytes, maxFrameBytes));
  // Check the cap on every size seen so far, so an oversize frame is refused
  // from its first declared segment, not after it arrived.
  uint64_t total = tableBytes;
  uint64_t sizesSeen = std::min<uint64_t>(segments, (bytes.size() - 4) / 4);
  for (uint64_t i = 0; i < sizesSeen; ++i) {
    total += uint64_t{readLe32(bytes, 4 + 4 * i)} * kWordBytes;
    if (total > maxFrameBytes) throw FrameError(oversize(total, maxFrameBytes));
  }
  if (sizesSeen < segments) return {static_cast<size_t>(tableBytes), false};
  return {static_cast<size_t>(total), true};
}

DecodedMessage::DecodedMessage(std::string_view frame, size_t maxFrameBytes)
    : maxFrameBytes_(maxFrameBytes) {
  FramePrefix prefix = inspectFramePrefix(frame, maxFrameBytes);
  if (!prefix.sizeKnown || frame.size() < prefix.neededBytes) {
    throw FrameError("truncated frame: " + std::to_string(frame.size()) + " bytes, needs " +
                     (prefix.sizeKnown ? "" : "at least ") + std::to_string(prefix.neededBytes));
  }
  if (frame.size() > prefix.neededBytes) {
    throw FrameError("malformed frame: " + std::to_string(frame.size() - prefix.neededBytes) +
                     " trailing bytes after a " + std::to_string(prefix.neededBytes) +
                     "-byte message");
  }
  // Cap'n Proto reads words in place: copy into aligned storage.
  words_ = kj::heapArray<capnp::word>(frame.size() / kWordBytes);
  std::memcpy(words_.begin(), frame.data(), frame.size());
  try {
    // One full traversal on a reader of its own checks every pointer.
    capnp::FlatArrayMessageReader check(words_, validationOptionsFor(maxFrameBytes));
    check.getRoot<capnp::AnyPointer>().targetSize();
    reader_ = std::make_unique<capnp::FlatArrayMessageReader>(
        words_, readerOptionsFor(maxFrameBytes));
  } catch (const kj::Exception& e) {
    throw FrameError("malformed message: " + describe(e));
  }
}

std::string_view DecodedMessage::bytes() const {
  return {reinterpret_cast<const char*>(words_.begin()), sizeInBytes()};
}

void DecodedMessage::checkRootAs(capnp::StructSchema schema) {
  uint64_t id = schema.getProto().getId();
  if (id == checkedTypeId_) return;
  try {
    // Own reader, so the check does not spend the caller's traversal budget.
    capnp::FlatArrayMessageReader check(words_, validationOptionsFor(maxFrameBytes_));
    walkStruct(check.getRoot<capnp::DynamicStruct>(schema));
  } catch (const kj::Exception& e) {
    throw FrameError("message is not a valid " +
                     std::string(schema.getShortDisplayName().cStr()) + ": " + describe(e));
  }
  checkedTypeId_ = id;
}

FrameReader::FrameReader(size_t maxFrameBytes) : maxFrameBytes_(maxFrameBytes) {}

FrameStatus FrameReader::feed(const void* data, size_t size) {
  if (status_ == FrameStatus::error || size == 0) return status_;
  buffer_.append(static_cast<const char*>(data), size);
  evaluate();
  return status_;
}

std::unique_ptr<DecodedMessage> FrameReader::take() {
  if (status_ != FrameStatus::ready) return nullptr;
  std::unique_ptr<DecodedMessage> message = std::move(ready_);
  status_ = FrameStatus::needMore;
  evaluate();
  return message;
}

void FrameReader::fail(std::string reason) {
  status_ = FrameStatus::error;
  error_ = std::move(reason);
  buffer_.clear();
  buffer_.shrink_to_fit();
  frameBytes_ = 0;
}

// Decodes the frame at the head of the buffer once it is complete.
void FrameReader::evaluate() {
  if (status_ != FrameStatus::needMore) return;
  try {
    if (frameBytes_ == 0) {
      FramePrefix prefix = inspectFramePrefix(buffer_, maxFrameBytes_);
      if (!prefix.sizeKnown) return;
      frameBytes_ = prefix.neededBytes;
    }
    if (buffer_.size() < frameBytes_) return;
    ready_ = std::make_unique<DecodedMessage>(std::string_view(buffer_).substr(0, frameBytes_),
                                              maxFrameBytes_);
  } catch (const FrameError& e) {
    fail(e.what());
    return;
  }
  buffer_.erase(0, frameBytes_);
  frameBytes_ = 0;
  status_ = FrameStatus::ready;
}

std::string encode(capnp::MessageBuilder& builder) {
  kj::Array<capnp::word> words = capnp::messageToFlatArray(builder);
  auto bytes = words.asChars();
  return std::string(bytes.begin(), bytes.size());
}

std::unique_ptr<DecodedMessage> decode(std::string_view bytes, size_t maxFrameBytes) {
  return std::make_unique<DecodedMessage>(bytes, maxFrameBytes);
}

void writeMessage(int fd, capnp::MessageBuilder& builder) {
  kj::Array<capnp::word> words = capnp::messageToFlatArray(builder);
  auto bytes = words.asChars();
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.begin() + done, bytes.size() - done);
    if (n >= 0) {
      done += static_cast<size_t>(n);
    } else if (errno != EINTR) {
      throw SysError("write", "fd " + std::to_string(fd), errno);
    }
  }
}

std::unique_ptr<DecodedMessage> readMessage(int fd, size_t maxFrameBytes) {
  std::string frame(kWordBytes, '\0');
  size_t got = readFully(fd, frame.data(), frame.size());
  if (got == 0) return nullptr;
  if (got < frame.size()) {
    throw FrameError("truncated frame: EOF after " + std::to_string(got) + " bytes");
  }
  // Read no further than the table says, so the fd's next bytes stay unread.
  FramePrefix prefix = inspectFramePrefix(frame, maxFrameBytes);
  while (!prefix.sizeKnown) {
    readUpTo(fd, frame, prefix.neededBytes);
    prefix = inspectFramePrefix(frame, maxFrameBytes);
  }
  readUpTo(fd, frame, prefix.neededBytes);
  return std::make_unique<DecodedMessage>(frame, maxFrameBytes);
}

}  // namespace checker::ipc
