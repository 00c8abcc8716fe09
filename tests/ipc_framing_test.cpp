// Proves ipc/framing.h: whole and split frames decode to the same content,
// oversize / malformed / truncated input is refused with a reason (never a
// crash), and the fd helpers read exactly one message.
//
// SIGPIPE: the closed-pipe test ignores SIGPIPE for its duration (restored
// afterwards), as the processes using writeMessage() do, so the failed write
// surfaces as SysError(EPIPE).
#include "ipc/framing.h"

#include <capnp/message.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <random>
#include <string>
#include <thread>
#include <utility>

#include "common/sys_error.h"
#include "ipc/job.capnp.h"
#include "ipc/state.capnp.h"

namespace checker::ipc {
namespace {

using ::testing::HasSubstr;

// ---- fixtures --------------------------------------------------------------

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&&) = delete;
  ~Fd() { reset(); }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

struct Pipe {
  Fd readEnd;
  Fd writeEnd;
};

Pipe makePipe() {
  int fds[2];
  if (::pipe(fds) != 0) throw SysError("pipe", "", errno);
  return {Fd(fds[0]), Fd(fds[1])};
}

void writeRaw(int fd, std::string_view bytes) {
  ASSERT_EQ(::write(fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
}

std::string readRest(int fd) {
  std::string out;
  char chunk[256];
  ssize_t n;
  while ((n = ::read(fd, chunk, sizeof chunk)) > 0) out.append(chunk, static_cast<size_t>(n));
  return out;
}

// A segment table claiming one segment of `words` words, then `body`.
std::string frameWithOneSegment(uint32_t words, std::string_view body = {}) {
  std::string bytes(8, '\0');
  for (int i = 0; i < 4; ++i) bytes[4 + i] = static_cast<char>(words >> (8 * i));
  bytes += body;
  return bytes;
}

void fillWorkerRequest(capnp::MessageBuilder& message) {
  auto run = message.initRoot<WorkerRequest>().initRun();
  run.setJobId("tcp:10.0.0.5:22");
  run.setJobName("ssh");
  run.setType("tcp");
  auto params = run.initParams(2);
  params[0].setKey("host");
  params[0].setValue("10.0.0.5");
  params[1].setKey("port");
  params[1].setValue("22");
  run.getLimits().setTimeoutMs(10000);
  run.getLimits().setMemoryBytes(256u << 20);
  run.setDeadlineUnixMs(1700000000123);
  run.setServerName("watcher-1");
}

void expectWorkerRequest(DecodedMessage& message) {
  auto request = message.root<WorkerRequest>();
  ASSERT_TRUE(request.isRun());
  auto run = request.getRun();
  EXPECT_EQ(run.getJobId(), "tcp:10.0.0.5:22");
  EXPECT_EQ(run.getJobName(), "ssh");
  EXPECT_EQ(run.getType(), "tcp");
  ASSERT_EQ(run.getParams().size(), 2u);
  EXPECT_EQ(run.getParams()[0].getKey(), "host");
  EXPECT_EQ(run.getParams()[1].getValue(), "22");
  EXPECT_EQ(run.getLimits().getTimeoutMs(), 10000u);
  EXPECT_EQ(run.getLimits().getMemoryBytes(), 256u << 20);
  EXPECT_EQ(run.getDeadlineUnixMs(), 1700000000123);
  EXPECT_EQ(run.getServerName(), "watcher-1");
}

std::string bodyText(size_t size) {
  std::string text;
  for (size_t i = 0; text.size() < size; ++i) text += "line " + std::to_string(i) + "\n";
  text.resize(size);
  return text;
}

// Tiny fixed-size segments force a new segment for nearly every object.
struct OutboxMessage {
  explicit OutboxMessage(size_t bodySize = 600, uint64_t id = 42)
      : builder(8, capnp::AllocationStrategy::FIXED_SIZE) {
    auto entry = builder.initRoot<OutboxEntry>();
    entry.setId(id);
    entry.setCreatedUnixMs(1700000000000);
    entry.setKind(MailKind::ALERT);
    entry.setJobId("http:https://example.org/");
    auto to = entry.initTo(3);
    to.set(0, "ops@example.org");
    to.set(1, "oncall@example.org");
    to.set(2, "boss@example.org");
    entry.setSubject("web is failing");
    entry.setBody(bodyText(bodySize));
    entry.setAttempts(3);
    entry.setLastError("450 try later");
  }
  size_t segments() { return builder.getSegmentsForOutput().size(); }
  capnp::MallocMessageBuilder builder;
};

void expectOutboxEntry(DecodedMessage& message, size_t bodySize = 600, uint64_t id = 42) {
  auto entry = message.root<OutboxEntry>();
  EXPECT_EQ(entry.getId(), id);
  EXPECT_EQ(entry.getCreatedUnixMs(), 1700000000000);
  EXPECT_EQ(entry.getKind(), MailKind::ALERT);
  EXPECT_EQ(entry.getJobId(), "http:https://example.org/");
  ASSERT_EQ(entry.getTo().size(), 3u);
  EXPECT_EQ(entry.getTo()[1], "oncall@example.org");
  EXPECT_EQ(entry.getTo()[2], "boss@example.org");
  EXPECT_EQ(entry.getSubject(), "web is failing");
  EXPECT_EQ(std::string(entry.getBody().cStr()), bodyText(bodySize));
  EXPECT_EQ(entry.getAttempts(), 3u);
  EXPECT_EQ(entry.getLastError(), "450 try later");
}

std::string encodeWorkerRequest() {
  capnp::MallocMessageBuilder builder;
  fillWorkerRequest(builder);
  return encode(builder);
}

// ---- format and options ----------------------------------------------------

TEST(FramingFormat, EncodeWritesStandardSegmentTable) {
  OutboxMessage message;
  size_t segments = message.segments();
  ASSERT_GT(segments, 3u);
  std::string bytes = encode(message.builder);
  FramePrefix prefix = inspectFramePrefix(bytes, kDefaultMaxFrameBytes);
  EXPECT_TRUE(prefix.sizeKnown);
  EXPECT_EQ(prefix.neededBytes, bytes.size());
  EXPECT_EQ(size_t{static_cast<unsigned char>(bytes[0])}, segments - 1);
  EXPECT_EQ(bytes.substr(1, 3), std::string(3, '\0'));
  EXPECT_EQ(bytes.size() % 8, 0u);
}

TEST(FramingFormat, ReaderOptionsAllowSeveralTraversalsOfTheCap) {
  capnp::ReaderOptions options = readerOptionsFor(1 << 20);
  EXPECT_EQ(options.traversalLimitInWords, (1u << 17) * kTraversalsPerFrame);
  EXPECT_EQ(options.nestingLimit, 64);
}

// ---- encode / decode -------------------------------------------------------

TEST(FramingDecode, RoundTripsWorkerRequest) {
  std::string bytes = encodeWorkerRequest();
  auto message = decode(bytes);
  EXPECT_EQ(message->sizeInBytes(), bytes.size());
  EXPECT_EQ(message->bytes(), bytes);
  expectWorkerRequest(*message);
}

TEST(FramingDecode, RoundTripsMultiSegmentOutboxEntry) {
  OutboxMessage message;
  ASSERT_GT(message.segments(), 3u);
  auto decoded = decode(encode(message.builder));
  expectOutboxEntry(*decoded);
}

TEST(FramingDecode, AcceptsUnalignedInput) {
  OutboxMessage message;
  std::string shifted = "x" + encode(message.builder);
  auto decoded = decode(std::string_view(shifted).substr(1));
  expectOutboxEntry(*decoded);
}

TEST(FramingDecode, RejectsTrailingBytes) {
  std::string bytes = encodeWorkerRequest();
  EXPECT_THROW(decode(bytes + "x"), FrameError);
  try {
    decode(bytes + std::string(8, '\0'));
    FAIL() << "trailing word accepted";
  } catch (const FrameError& e) {
    EXPECT_THAT(e.what(), HasSubstr("8 trailing bytes"));
  }
}

TEST(FramingDecode, RejectsTruncatedFrame) {
  std::string bytes = encodeWorkerRequest();
  for (size_t size : {size_t{0}, size_t{3}, size_t{8}, bytes.size() - 1}) {
    try {
      decode(bytes.substr(0, size));
      FAIL() << "accepted " << size << " of " << bytes.size() << " bytes";
    } catch (const FrameError& e) {
      EXPECT_THAT(e.what(), HasSubstr("truncated"));
    }
  }
}

TEST(FramingDecode, OversizeRejectedEvenWhenComplete) {
  std::string bytes = encodeWorkerRequest();
  EXPECT_THROW(decode(bytes, bytes.size() - 8), FrameError);
  EXPECT_NO_THROW(decode(bytes, bytes.size()));
}

TEST(FramingDecode, ValidatedMessageSurvivesRepeatedFullReads) {
  OutboxMessage message;
  std::string bytes = encode(message.builder);
  auto decoded = decode(bytes, bytes.size());  // budget as tight as it gets
  for (uint64_t i = 0; i + 1 < kTraversalsPerFrame; ++i) expectOutboxEntry(*decoded);
}

// ---- garbage -----------------------------------------------------------------

std::string randomBytes(uint32_t seed, size_t size) {
  std::mt19937 random(seed);
  std::string bytes(size, '\0');
  for (char& c : bytes) c = static_cast<char>(random() & 0xFF);
  return bytes;
}

TEST(FramingGarbage, RandomBytesAreRefused) {
  for (uint32_t seed = 1; seed <= 32; ++seed) {
    std::string bytes = randomBytes(seed, 256);
    EXPECT_THROW(decode(bytes), FrameError) << "seed " << seed;
    FrameReader reader;
    EXPECT_EQ(reader.feed(bytes.data(), bytes.size()), FrameStatus::error) << "seed " << seed;
    EXPECT_FALSE(reader.error().empty());
  }
}

// A valid table around random words: the root pointer and everything it
// leads to is nonsense. Refused by decode or by the typed check.
TEST(FramingGarbage, RandomBodyBehindValidHeaderIsRefused) {
  for (uint32_t seed = 1; seed <= 64; ++seed) {
    std::string bytes = frameWithOneSegment(32, randomBytes(seed, 32 * 8));
    std::string reason;
    try {
      decode(bytes)->root<WorkerRequest>();
    } catch (const FrameError& e) {
      reason = e.what();
    }
    EXPECT_FALSE(reason.empty()) << "seed " << seed << " was accepted";
  }
}

TEST(FramingGarbage, OutOfBoundsRootPointerIsRefusedWithReason) {
  // Struct pointer (kind 0) with offset 1000 words, 1 data word: far outside.
  std::string root(8, '\0');
  uint32_t offsetField = 1000u << 2;
  for (int i = 0; i < 4; ++i) root[i] = static_cast<char>(offsetField >> (8 * i));
  root[4] = 1;
  try {
    decode(frameWithOneSegment(1, root));
    FAIL() << "nonsense root accepted";
  } catch (const FrameError& e) {
    EXPECT_THAT(e.what(), HasSubstr("out-of-bounds"));
  }
}

TEST(FramingGarbage, EmptySegmentHasNoRoot) {
  EXPECT_THROW(decode(frameWithOneSegment(0)), FrameError);
}

TEST(FramingGarbage, WrongShapeForTypeIsRefusedByRoot) {
  capnp::MallocMessageBuilder builder;
  auto list = builder.initRoot<capnp::AnyPointer>().initAs<capnp::List<capnp::Text>>(2);
  list.set(0, "not");
  list.set(1, "a request");
  auto message = decode(encode(builder));  // well-formed, so decode accepts it
  try {
    message->root<WorkerRequest>();
    FAIL() << "list read as a struct";
  } catch (const FrameError& e) {
    EXPECT_THAT(e.what(), HasSubstr("WorkerRequest"));
  }
}

TEST(FramingGarbage, UnterminatedTextIsRefusedByRoot) {
  capnp::MallocMessageBuilder builder;
  auto result = builder.initRoot<WorkerReply>().initResult();
  result.setOutcome(Outcome::FAILED);
  result.setMessage("connection refused");
  std::string bytes = encode(builder);
  size_t at = bytes.find(std::string("connection refused") + '\0');
  ASSERT_NE(at, std::string::npos);
  bytes[at + 18] = '!';
  auto message = decode(bytes);
  try {
    message->root<WorkerReply>();
    FAIL() << "unterminated text accepted";
  } catch (const FrameError& e) {
    EXPECT_THAT(e.what(), HasSubstr("NUL"));
  }
}

// ---- FrameReader -------------------------------------------------------------

TEST(FrameReaderSplit, EverySplitNeedsMoreUntilCompleteThenSameContent) {
  OutboxMessage message;
  std::string bytes = encode(message.builder);
  for (size_t split = 1; split < bytes.size(); ++split) {
    FrameReader reader;
    ASSERT_EQ(reader.feed(bytes.data(), split), FrameStatus::needMore) << "split " << split;
    ASSERT_EQ(reader.take(), nullptr);
    ASSERT_EQ(reader.feed(bytes.data() + split, bytes.size() - split), FrameStatus::ready)
        << "split " << split;
    EXPECT_EQ(reader.bufferedBytes(), 0u);
    auto decoded = reader.take();
    ASSERT_NE(decoded, nullptr);
    expectOutboxEntry(*decoded);
    EXPECT_EQ(reader.status(), FrameStatus::needMore);
  }
}

TEST(FrameReaderSplit, ByteByByteCompletesOnlyOnLastByte) {
  OutboxMessage message;
  std::string bytes = encode(message.builder);
  FrameReader reader;
  for (size_t i = 0; i + 1 < bytes.size(); ++i) {
    ASSERT_EQ(reader.feed(&bytes[i], 1), FrameStatus::needMore) << "byte " << i;
  }
  EXPECT_EQ(reader.bufferedBytes(), bytes.size() - 1);
  ASSERT_EQ(reader.feed(&bytes.back(), 1), FrameStatus::ready);
  auto decoded = reader.take();
  ASSERT_NE(decoded, nullptr);
  expectOutboxEntry(*decoded);
}

TEST(FrameReaderSplit, TwoMessagesInOneFeedThenPartOfThird) {
  OutboxMessage first(600, 1);
  OutboxMessage second(900, 2);
  std::string third = encodeWorkerRequest();
  std::string stream = encode(first.builder) + encode(second.builder) + third.substr(0, 20);
  FrameReader reader;
  ASSERT_EQ(reader.feed(stream.data(), stream.size()), FrameStatus::ready);
  auto one = reader.take();
  ASSERT_EQ(reader.status(), FrameStatus::ready);
  auto two = reader.take();
  EXPECT_EQ(reader.status(), FrameStatus::needMore);
  EXPECT_EQ(reader.bufferedBytes(), 20u);
  ASSERT_NE(one, nullptr);
  ASSERT_NE(two, nullptr);
  expectOutboxEntry(*one, 600, 1);
  expectOutboxEntry(*two, 900, 2);
  ASSERT_EQ(reader.feed(third.data() + 20, third.size() - 20), FrameStatus::ready);
  auto three = reader.take();
  ASSERT_NE(three, nullptr);
  expectWorkerRequest(*three);
}

TEST(FrameReaderLimits, OversizeRejectedFromFirstSegmentSize) {
  FrameReader reader(1024);
  std::string header = frameWithOneSegment(1024 / 8);  // 8 + 1024 bytes > cap
  EXPECT_EQ(reader.feed(header.data(), 4), FrameStatus::needMore);
  EXPECT_EQ(reader.feed(header.data() + 4, 4), FrameStatus::error);
  EXPECT_THAT(reader.error(), HasSubstr("oversize"));
  EXPECT_THAT(reader.error(), HasSubstr("1032"));
  EXPECT_EQ(reader.bufferedBytes(), 0u);
}

TEST(FrameReaderLimits, OversizeRejectedFromLaterSegmentSize) {
  // Three segments: table is 16 bytes; the second size pushes it over.
  std::string table = {2, 0, 0, 0, 4, 0, 0, 0};
  table += std::string{static_cast<char>(0), 0, 0x10, 0};  // 0x100000 words
  FrameReader reader;
  EXPECT_EQ(reader.feed(table.data(), 8), FrameStatus::needMore);
  EXPECT_EQ(reader.feed(table.data() + 8, 4), FrameStatus::error);
  EXPECT_THAT(reader.error(), HasSubstr("oversize"));
}

TEST(FrameReaderLimits, OversizeRealMessageRejectedFromItsHeader) {
  capnp::MallocMessageBuilder builder(4096);  // one segment holds it all
  builder.initRoot<JobResult>().setDetails(bodyText(8000));
  ASSERT_EQ(builder.getSegmentsForOutput().size(), 1u);
  std::string bytes = encode(builder);
  FrameReader reader(4096);
  EXPECT_EQ(reader.feed(bytes.data(), 8), FrameStatus::error);
  EXPECT_THAT(reader.error(), HasSubstr("cap is 4096"));
}

TEST(FrameReaderLimits, ZeroAndAbsurdSegmentCountsAreErrors) {
  FrameReader zero;
  EXPECT_EQ(zero.feed("\xFF\xFF\xFF\xFF", 4), FrameStatus::error);
  EXPECT_THAT(zero.error(), HasSubstr("segment count 0"));
  FrameReader absurd;
  EXPECT_EQ(absurd.feed("\x00\x00\x01\x00", 4), FrameStatus::error);
  EXPECT_THAT(absurd.error(), HasSubstr("65537 segments"));
  FrameReader justOver;
  EXPECT_EQ(justOver.feed("\x00\x02\x00\x00", 4), FrameStatus::error);  // 513
  EXPECT_THAT(justOver.error(), HasSubstr("513 segments"));
}

TEST(FrameReaderLimits, StaysInErrorAfterError) {
  FrameReader reader;
  std::string garbage = frameWithOneSegment(0);  // complete frame, no root
  ASSERT_EQ(reader.feed(garbage.data(), garbage.size()), FrameStatus::error);
  std::string reason = reader.error();
  EXPECT_THAT(reason, HasSubstr("root pointer"));
  std::string good = encodeWorkerRequest();
  EXPECT_EQ(reader.feed(good.data(), good.size()), FrameStatus::error);
  EXPECT_EQ(reader.error(), reason);
  EXPECT_EQ(reader.take(), nullptr);
  EXPECT_EQ(reader.bufferedBytes(), 0u);
}

// ---- file descriptors ------------------------------------------------------

TEST(FramingFd, RoundTripsOverPipe) {
  Pipe pipe = makePipe();
  OutboxMessage message;
  writeMessage(pipe.writeEnd.get(), message.builder);
  pipe.writeEnd.reset();
  auto decoded = readMessage(pipe.readEnd.get());
  ASSERT_NE(decoded, nullptr);
  expectOutboxEntry(*decoded);
  EXPECT_EQ(readMessage(pipe.readEnd.get()), nullptr);
}

// Larger than a socket buffer: both sides loop over partial transfers.
TEST(FramingFd, RoundTripsLargeMessageOverSocketPair) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  Fd left(fds[0]);
  Fd right(fds[1]);
  constexpr size_t kBody = 700 * 1024;
  OutboxMessage message(kBody);
  std::thread writer([&] { writeMessage(left.get(), message.builder); });
  auto decoded = readMessage(right.get(), 1 << 20);
  writer.join();
  ASSERT_NE(decoded, nullptr);
  expectOutboxEntry(*decoded, kBody);
}

TEST(FramingFd, ReadMessageLeavesFollowingBytesUnread) {
  Pipe pipe = makePipe();
  OutboxMessage first(600, 7);
  capnp::MallocMessageBuilder second;
  fillWorkerRequest(second);
  writeMessage(pipe.writeEnd.get(), first.builder);
  writeMessage(pipe.writeEnd.get(), second);
  writeRaw(pipe.writeEnd.get(), "tail");
  pipe.writeEnd.reset();
  auto one = readMessage(pipe.readEnd.get());
  ASSERT_NE(one, nullptr);
  expectOutboxEntry(*one, 600, 7);
  auto two = readMessage(pipe.readEnd.get());
  ASSERT_NE(two, nullptr);
  expectWorkerRequest(*two);
  EXPECT_EQ(readRest(pipe.readEnd.get()), "tail");
}

TEST(FramingFd, CleanEofReturnsNull) {
  Pipe pipe = makePipe();
  pipe.writeEnd.reset();
  EXPECT_EQ(readMessage(pipe.readEnd.get()), nullptr);
}

TEST(FramingFd, EofMidFrameIsTruncated) {
  std::string bytes = encodeWorkerRequest();
  for (size_t size : {size_t{3}, size_t{8}, bytes.size() - 1}) {
    Pipe pipe = makePipe();
    writeRaw(pipe.writeEnd.get(), bytes.substr(0, size));
    pipe.writeEnd.reset();
    try {
      readMessage(pipe.readEnd.get());
      FAIL() << "accepted " << size << " of " << bytes.size() << " bytes";
    } catch (const FrameError& e) {
      EXPECT_THAT(e.what(), HasSubstr("truncated"));
      EXPECT_THAT(e.what(), HasSubstr("EOF after " + std::to_string(size)));
    }
  }
}

TEST(FramingFd, OversizeRefusedAfterReadingOnlyTheHeader) {
  Pipe pipe = makePipe();
  writeRaw(pipe.writeEnd.get(), frameWithOneSegment(1 << 20, "body"));
  pipe.writeEnd.reset();
  try {
    readMessage(pipe.readEnd.get(), 1 << 20);
    FAIL() << "oversize frame accepted";
  } catch (const FrameError& e) {
    EXPECT_THAT(e.what(), HasSubstr("oversize"));
  }
  EXPECT_EQ(readRest(pipe.readEnd.get()), "body");
}

TEST(FramingFd, GarbageIsFrameError) {
  Pipe pipe = makePipe();
  writeRaw(pipe.writeEnd.get(), frameWithOneSegment(4, randomBytes(7, 32)));
  pipe.writeEnd.reset();
  EXPECT_THROW(readMessage(pipe.readEnd.get()), FrameError);
}

TEST(FramingFd, ReadErrorIsSysError) {
  Fd directory(::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_GE(directory.get(), 0);
  try {
    readMessage(directory.get());
    FAIL() << "read of a directory succeeded";
  } catch (const SysError& e) {
    EXPECT_EQ(e.code(), EISDIR);
    EXPECT_THAT(e.what(), HasSubstr("read(fd " + std::to_string(directory.get()) + ")"));
  }
}

// Ignores SIGPIPE while alive, restoring the previous disposition.
class IgnoreSigpipe {
 public:
  IgnoreSigpipe() {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ignore, &previous_);
  }
  ~IgnoreSigpipe() { ::sigaction(SIGPIPE, &previous_, nullptr); }
  IgnoreSigpipe(const IgnoreSigpipe&) = delete;
  IgnoreSigpipe& operator=(const IgnoreSigpipe&) = delete;

 private:
  struct sigaction previous_ {};
};

TEST(FramingFd, WriteToClosedPipeIsSysError) {
  IgnoreSigpipe ignore;
  Pipe pipe = makePipe();
  pipe.readEnd.reset();
  capnp::MallocMessageBuilder builder;
  fillWorkerRequest(builder);
  try {
    writeMessage(pipe.writeEnd.get(), builder);
    FAIL() << "write to a closed pipe succeeded";
  } catch (const SysError& e) {
    EXPECT_EQ(e.code(), EPIPE);
    EXPECT_THAT(e.what(), HasSubstr("write(fd "));
  }
}

}  // namespace
}  // namespace checker::ipc
