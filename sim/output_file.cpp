// Checked output files (see output_file.hpp).
#include "sim/output_file.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace fabricsim::sim {
namespace {

int open_for_writing(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw OutputError(fmt::format("{}: cannot write: {}", path.string(), std::strerror(errno)));
  }
  return fd;
}

}  // namespace

bool OutputFile::FdBuffer::drain() {
  const char* data = pbase();
  std::size_t left = static_cast<std::size_t>(pptr() - pbase());
  while (left > 0 && error_ == 0) {
    const ssize_t n = ::write(fd_, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      error_ = errno;
    } else {
      data += n;
      left -= static_cast<std::size_t>(n);
    }
  }
  setp(buffer_.data(), buffer_.data() + buffer_.size());
  return error_ == 0;
}

OutputFile::FdBuffer::int_type OutputFile::FdBuffer::overflow(int_type c) {
  if (!drain()) return traits_type::eof();
  if (!traits_type::eq_int_type(c, traits_type::eof())) {
    *pptr() = traits_type::to_char_type(c);
    pbump(1);
  }
  return traits_type::not_eof(c);
}

int OutputFile::FdBuffer::sync() {
  return drain() ? 0 : -1;
}

OutputFile::OutputFile(std::filesystem::path path)
    : path_(std::move(path)), fd_(open_for_writing(path_)), buffer_(fd_), out_(&buffer_) {}

OutputFile::~OutputFile() {
  if (closed_) return;
  ::close(fd_);
  std::error_code ignored;
  std::filesystem::remove(path_, ignored);
}

void OutputFile::fail(int error) {
  closed_ = true;
  ::close(fd_);
  std::error_code ignored;
  std::filesystem::remove(path_, ignored);
  throw OutputError(fmt::format("{}: cannot write: {}", path_.string(),
                                error != 0 ? std::strerror(error) : "write failed"));
}

void OutputFile::close() {
  if (closed_) return;
  out_.flush();
  if (!out_ || buffer_.error() != 0) fail(buffer_.error());
  if (::close(fd_) != 0) {
    const int error = errno;
    fd_ = -1;
    fail(error);
  }
  closed_ = true;
}

void write_file(const std::filesystem::path& path, std::string_view text) {
  OutputFile file(path);
  file.stream() << text;
  file.close();
}

}  // namespace fabricsim::sim
