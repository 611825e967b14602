#pragma once
// RAII for the HDF5 C API inside src/io (never included by kernels): an owned hid_t closed
// with its matching H5*close, and a guard that silences HDF5's own error printing while
// hopcap reports failures itself.

#include <hdf5.h>

#include <string>
#include <vector>

namespace hopcap::io::hdf5 {

class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle() {
    if (id_ >= 0) closer_(id_);
  }
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  hid_t id_;
  Closer closer_;
};

class QuietErrors {
 public:
  QuietErrors() {
    H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  QuietErrors(const QuietErrors&) = delete;
  QuietErrors& operator=(const QuietErrors&) = delete;
  ~QuietErrors() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

/// The descriptions on HDF5's current error stack, outermost first (at most four), as
/// " (HDF5: a; b)" or "" when empty; clears the stack.
inline std::string error_stack() {
  std::vector<std::string> messages;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_DOWNWARD,
      [](unsigned, const H5E_error2_t* err, void* out) -> herr_t {
        auto& list = *static_cast<std::vector<std::string>*>(out);
        if (err != nullptr && err->desc != nullptr && list.size() < 4) list.emplace_back(err->desc);
        return 0;
      },
      &messages);
  H5Eclear2(H5E_DEFAULT);
  std::string joined;
  for (const std::string& m : messages) joined += (joined.empty() ? "" : "; ") + m;
  return joined.empty() ? std::string() : " (HDF5: " + joined + ")";
}

}  // namespace hopcap::io::hdf5
