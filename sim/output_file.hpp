// Output files written so that a failure is never silent: every write is checked (a full disk,
// an I/O error), the error names the path and the OS reason, and a file that could not be
// written completely is removed rather than left half-written.
#pragma once

#include <array>
#include <filesystem>
#include <ostream>
#include <stdexcept>
#include <streambuf>
#include <string_view>

namespace fabricsim::sim {

// "PATH: cannot write: REASON". The CLI exits 1 on it.
class OutputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class OutputFile {
 public:
  // Creates (truncates) the file; OutputError if it cannot be opened.
  explicit OutputFile(std::filesystem::path path);
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;
  // An OutputFile destroyed without close() (an exception on the way) removes its file.
  ~OutputFile();

  std::ostream& stream() { return out_; }
  const std::filesystem::path& path() const { return path_; }
  // Flushes and closes; OutputError (and the file removed) if any write failed.
  void close();

 private:
  // Buffers in user space and write(2)s to the descriptor, keeping the errno of the first
  // failed write (std::ofstream loses it).
  class FdBuffer : public std::streambuf {
   public:
    explicit FdBuffer(int fd) : fd_(fd) { setp(buffer_.data(), buffer_.data() + buffer_.size()); }
    int error() const { return error_; }

   protected:
    int_type overflow(int_type c) override;
    int sync() override;

   private:
    bool drain();
    int fd_;
    int error_ = 0;
    std::array<char, 1 << 16> buffer_{};
  };

  [[noreturn]] void fail(int error);

  std::filesystem::path path_;
  int fd_ = -1;
  FdBuffer buffer_;
  std::ostream out_;
  bool closed_ = false;
};

// The whole of `text` to `path`, checked as above.
void write_file(const std::filesystem::path& path, std::string_view text);

}  // namespace fabricsim::sim
