#include "key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string_view>

namespace salesos::crypto::internal {
namespace {

std::string ErrnoText(int err) { return std::strerror(err); }

// A closed-on-scope-exit descriptor.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // close(2) can report a deferred write error, so the write path checks it.
  int Close() {
    int r = ::close(fd_);
    fd_ = -1;
    return r;
  }

 private:
  int fd_;
};

// kNotFound when missing, so the caller knows to create it.
Result<std::string> ReadKeyFile(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    int err = errno;
    if (err == ENOENT) {
      return NotFound("key file " + path + " does not exist");
    }
    return Internal("cannot open key file " + path + ": " + ErrnoText(err));
  }
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return Internal("cannot read key file " + path + ": " + ErrnoText(errno));
    }
    if (n == 0) {
      break;
    }
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > kMaxKeyFileBytes) {
      return InvalidArgument("key file " + path + " is larger than any key file (" +
                             std::to_string(kMaxKeyFileBytes) + " bytes)");
    }
  }
  return out;
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      return Internal("cannot write key file " + path + ": " + ErrnoText(errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return OkStatus();
}

std::string DirName(const std::string& path) {
  size_t slash = path.rfind('/');
  if (slash == std::string::npos) {
    return ".";
  }
  return slash == 0 ? "/" : path.substr(0, slash);
}

// kAlreadyExists when another process created `path` first.
Status CreateExclusive(const std::string& path, std::string_view contents) {
  std::string tmp = path + ".tmp-XXXXXX";
  Fd fd(::mkostemp(tmp.data(), O_CLOEXEC));  // mode 0600
  if (fd.get() < 0) {
    return Internal("cannot create key file " + path + ": " + ErrnoText(errno));
  }
  Status st = [&]() -> Status {
    // mkostemp already uses 0600; fchmod states the requirement rather than relying on it.
    if (::fchmod(fd.get(), S_IRUSR | S_IWUSR) != 0) {
      return Internal("cannot chmod key file " + tmp + ": " + ErrnoText(errno));
    }
    SALESOS_RETURN_IF_ERROR(WriteAll(fd.get(), contents, tmp));
    if (::fsync(fd.get()) != 0 || fd.Close() != 0) {
      return Internal("cannot write key file " + tmp + ": " + ErrnoText(errno));
    }
    // link(2), unlike rename(2), fails instead of replacing an existing key.
    if (::link(tmp.c_str(), path.c_str()) != 0) {
      int err = errno;
      if (err == EEXIST) {
        return AlreadyExists("key file " + path + " already exists");
      }
      return Internal("cannot create key file " + path + ": " + ErrnoText(err));
    }
    return OkStatus();
  }();
  ::unlink(tmp.c_str());
  if (!st.ok()) {
    return st;
  }
  // Data may be sealed with this key right away; the new name must survive a crash too.
  Fd dir(::open(DirName(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0 || ::fsync(dir.get()) != 0) {
    return Internal("cannot sync the directory of key file " + path + ": " + ErrnoText(errno));
  }
  return OkStatus();
}

}  // namespace

Result<std::string> LoadOrCreateFile(const std::string& path,
                                     const std::function<Result<std::string>()>& make_contents) {
  auto existing = ReadKeyFile(path);
  if (existing.ok() || existing.status().code() != Code::kNotFound) {
    return existing;
  }
  auto contents = make_contents();
  if (!contents.ok()) {
    return contents.status();
  }
  Status created = CreateExclusive(path, *contents);
  if (created.code() == Code::kAlreadyExists) {
    return ReadKeyFile(path);
  }
  if (!created.ok()) {
    return created;
  }
  return contents;
}

Result<std::string> ReadExistingFile(const std::string& path) { return ReadKeyFile(path); }

}  // namespace salesos::crypto::internal
