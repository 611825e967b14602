// The HDF5 results file: round trip of values, statuses and messages, reopening, input checks,
// metadata that stays byte-identical while points are written (messages arrive by a rename),
// typed global attributes, survival of a writer killed with SIGKILL, and reading with xarray
// (h5netcdf and netcdf4 engines) and h5py.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "hopcap/error.hpp"
#include "hopcap/io/results_file.hpp"
#include "test_support.hpp"
#include "write_fault.h"

namespace hopcap::io {
namespace {

namespace fs = std::filesystem;
using Point = std::vector<std::int64_t>;
using Values = std::map<std::string, std::vector<double>>;

// A fresh directory under the system temp directory, removed afterwards.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("hopcap_results_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

const double kNaN = std::numeric_limits<double>::quiet_NaN();

// Three axes (integer, float, labels), one extra dimension, four variables (f64, i64, a f64
// curve, i8).
ResultsLayout sample_layout() {
  ResultsLayout layout;
  layout.axes.push_back({"M", "number of memories", "1", {2, 4, 8}, {}, true});
  layout.axes.push_back({"beta", "inverse temperature", "1", {0.5, 1.25}, {}, false});
  layout.axes.push_back(
      {"separation", "separation function", "", {}, {"softmax", "τ-poly"}, false});
  layout.extra_dims.push_back({"uhop_iteration", "U-Hop iteration", 4});
  layout.variables.push_back(
      {"capacity", "retrieval capacity", "1", {"M", "beta", "separation"}, ValueType::f64});
  layout.variables.push_back({"n_retrieved",
                              "number of retrieved memories",
                              "1",
                              {"M", "beta", "separation"},
                              ValueType::i64});
  layout.variables.push_back({"loss",
                              "U-Hop loss per iteration",
                              "nat",
                              {"M", "beta", "separation", "uhop_iteration"},
                              ValueType::f64});
  layout.variables.push_back(
      {"converged", "1 if U-Hop converged", "1", {"M", "beta", "separation"}, ValueType::i8});
  layout.message_length = 16;
  layout.attributes["config"] = "[sweep]\nname = \"test\"\n";
  layout.attributes["hopcap_version"] = "0.1.0";
  return layout;
}

std::int64_t flat_index(const Point& p, const std::vector<std::int64_t>& shape) {
  std::int64_t k = 0;
  for (std::size_t a = 0; a < shape.size(); ++a) k = k * shape[a] + p[a];
  return k;
}

// Compares doubles bit-exactly, NaN equal to NaN.
void expect_same(const std::vector<double>& actual, const std::vector<double>& expected,
                 const std::string& what) {
  ASSERT_EQ(actual.size(), expected.size()) << what;
  for (std::size_t k = 0; k < actual.size(); ++k) {
    if (std::isnan(expected[k])) {
      EXPECT_TRUE(std::isnan(actual[k])) << what << " [" << k << "] = " << actual[k];
    } else {
      EXPECT_EQ(actual[k], expected[k]) << what << " [" << k << "]";
    }
  }
}

// Opens a results file for reading beside a ResultsFile of this process that may have it open:
// HDF5 requires the same file-locking setting for both, and hopcap's writer takes no HDF5 lock.
hid_t open_read_only(const fs::path& path) {
  const hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_file_locking(fapl, false, true);
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl);
  H5Pclose(fapl);
  return file;
}

// The `message` string at one grid point, read with the HDF5 C API from a closed file: a
// variable-length UTF-8 string (netCDF NC_STRING), "" where none was written.
std::string read_message(const fs::path& path, const Point& p) {
  const hid_t file = open_read_only(path);
  EXPECT_GE(file, 0);
  const hid_t ds = H5Dopen2(file, "message", H5P_DEFAULT);
  const hid_t stored = H5Dget_type(ds);
  EXPECT_GT(H5Tis_variable_str(stored), 0) << "message is not a variable-length string";
  EXPECT_EQ(H5Tget_cset(stored), H5T_CSET_UTF8);
  const hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, H5T_VARIABLE);
  H5Tset_cset(type, H5T_CSET_UTF8);
  const hid_t space = H5Dget_space(ds);
  std::vector<hsize_t> start(p.begin(), p.end());
  std::vector<hsize_t> count(p.size(), 1);
  H5Sselect_hyperslab(space, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr);
  const hsize_t one = 1;
  const hid_t mem = H5Screate_simple(1, &one, nullptr);
  char* text = nullptr;
  EXPECT_GE(H5Dread(ds, type, mem, space, H5P_DEFAULT, &text), 0);
  const std::string out = text != nullptr ? std::string(text) : std::string();
  if (text != nullptr) H5free_memory(text);
  H5Sclose(mem);
  H5Sclose(space);
  H5Tclose(type);
  H5Tclose(stored);
  H5Dclose(ds);
  H5Fclose(file);
  return out;
}

std::vector<char> file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(ResultsFile, WritesAndReadsBackPoints) {
  const TempDir dir;
  const fs::path path = dir.path() / "results.h5";
  const ResultsLayout layout = sample_layout();
  ResultsFile file = ResultsFile::create(path, layout);
  EXPECT_EQ(file.grid_shape(), (std::vector<std::int64_t>{3, 2, 2}));
  EXPECT_EQ(file.attribute("config"), std::get<std::string>(layout.attributes.at("config")));
  EXPECT_EQ(file.attribute("hopcap_version"), "0.1.0");
  EXPECT_EQ(file.attribute("hopcap_format_version"), std::to_string(kResultsFormatVersion));
  EXPECT_EQ(file.attribute("no_such_attribute"), "");

  // Nothing written yet: every point is not_run and every value missing.
  for (PointStatus s : file.read_status()) EXPECT_EQ(s, PointStatus::not_run);
  expect_same(file.read_point("capacity", Point{1, 1, 0}), {kNaN}, "fresh capacity");
  expect_same(file.read_point("n_retrieved", Point{1, 1, 0}), {kNaN}, "fresh n_retrieved");
  expect_same(file.read_point("loss", Point{1, 1, 0}), {kNaN, kNaN, kNaN, kNaN}, "fresh loss");
  expect_same(file.read_point("converged", Point{1, 1, 0}), {kNaN}, "fresh converged");

  const Point p0{0, 0, 0};
  const Point p1{2, 1, 1};
  const Point p2{1, 0, 1};
  const Point p3{0, 1, 0};
  file.write_point(
      p0, {{"capacity", {0.1}}, {"n_retrieved", {7}}, {"loss", {1.5, 0.75}}, {"converged", {-128}}},
      PointStatus::ok);
  file.write_point(
      p1,
      {{"capacity", {1.0 / 3.0}}, {"n_retrieved", {123456789012345}}, {"loss", {4, 3, 2, 1e-300}}},
      PointStatus::ok);
  // Failed point: long message, cut to 16 bytes.
  file.write_point(p2, {}, PointStatus::failed, "kernel failed: non-finite energy");
  // UTF-8 message whose 16th byte falls inside a character: cut before it.
  file.write_point(p3, {{"capacity", {-2.5}}}, PointStatus::skipped, "xααααααααα");

  expect_same(file.read_point("capacity", p0), {0.1}, "capacity p0");
  expect_same(file.read_point("n_retrieved", p0), {7}, "n_retrieved p0");
  expect_same(file.read_point("loss", p0), {1.5, 0.75, kNaN, kNaN}, "loss p0 padded");
  expect_same(file.read_point("converged", p0), {-128}, "converged p0");
  expect_same(file.read_point("converged", p1), {kNaN}, "converged p1 (not given)");
  expect_same(file.read_point("capacity", p1), {1.0 / 3.0}, "capacity p1");
  expect_same(file.read_point("n_retrieved", p1), {123456789012345.0}, "n_retrieved p1");
  expect_same(file.read_point("loss", p1), {4, 3, 2, 1e-300}, "loss p1");
  expect_same(file.read_point("capacity", p2), {kNaN}, "capacity p2 (failed)");
  expect_same(file.read_point("n_retrieved", p3), {kNaN}, "n_retrieved p3 (not given)");
  expect_same(file.read_point("status", p1), {1.0}, "status p1");

  const std::vector<std::int64_t> shape = file.grid_shape();
  const std::vector<PointStatus> status = file.read_status();
  ASSERT_EQ(status.size(), 12U);
  for (std::int64_t k = 0; k < 12; ++k) {
    PointStatus expected = PointStatus::not_run;
    if (k == flat_index(p0, shape) || k == flat_index(p1, shape)) expected = PointStatus::ok;
    if (k == flat_index(p2, shape)) expected = PointStatus::failed;
    if (k == flat_index(p3, shape)) expected = PointStatus::skipped;
    EXPECT_EQ(status[static_cast<std::size_t>(k)], expected) << "flat index " << k;
  }

  // Rewriting a point replaces all of it: variables not given go back to their fill value.
  file.write_point(p0, {{"capacity", {0.2}}}, PointStatus::ok);
  expect_same(file.read_point("n_retrieved", p0), {kNaN}, "n_retrieved p0 rewritten");
  expect_same(file.read_point("loss", p0), {kNaN, kNaN, kNaN, kNaN}, "loss p0 rewritten");
  expect_same(file.read_point("capacity", p0), {0.2}, "capacity p0 rewritten");

  file.flush();
  file.close();
  file.close();  // idempotent
  EXPECT_EQ(read_message(path, p2), "kernel failed: n");
  EXPECT_EQ(read_message(path, p3), "xααααααα");  // 15 bytes: the 8th α would not fit
  EXPECT_EQ(read_message(path, p1), "");
  EXPECT_THROW(file.read_status(), ConfigError);
}

TEST(ResultsFile, ReopenKeepsEverything) {
  const TempDir dir;
  const fs::path path = dir.path() / "results.h5";
  {
    ResultsFile file = ResultsFile::create(path, sample_layout());
    file.write_point(Point{1, 1, 1}, {{"capacity", {0.5}}, {"loss", {1, 2, 3, 4}}},
                     PointStatus::ok);
    file.write_point(Point{2, 0, 0}, {}, PointStatus::failed, "boom");
  }  // the destructor closes
  {
    ResultsFile file = ResultsFile::open(path);
    EXPECT_EQ(file.grid_shape(), (std::vector<std::int64_t>{3, 2, 2}));
    EXPECT_EQ(file.attribute("config"), std::get<std::string>(sample_layout().attributes.at("config")));
    const std::vector<PointStatus> status = file.read_status();
    EXPECT_EQ(status[7], PointStatus::ok);      // (1,1,1)
    EXPECT_EQ(status[8], PointStatus::failed);  // (2,0,0)
    EXPECT_EQ(std::count(status.begin(), status.end(), PointStatus::not_run), 10);
    expect_same(file.read_point("capacity", Point{1, 1, 1}), {0.5}, "capacity");
    expect_same(file.read_point("loss", Point{1, 1, 1}), {1, 2, 3, 4}, "loss");
    // Resume: more points, then the final attribute.
    file.write_point(Point{0, 0, 1}, {{"n_retrieved", {-5}}}, PointStatus::ok);
    file.set_final_attribute("finished", "2024-01-01T00:00:00Z");
    file.set_final_attribute("finished", "overwritten, and longer than before");
    file.close();
  }
  ResultsFile moved = ResultsFile::open(path);
  ResultsFile file = std::move(moved);
  EXPECT_EQ(file.attribute("finished"), "overwritten, and longer than before");
  EXPECT_EQ(file.read_status()[1], PointStatus::ok);
  expect_same(file.read_point("n_retrieved", Point{0, 0, 1}), {-5}, "n_retrieved");
  EXPECT_EQ(read_message(path, Point{2, 0, 0}), "boom");
}

TEST(ResultsFile, OpenRejectsMissingAndForeignFiles) {
  const TempDir dir;
  EXPECT_THROW(ResultsFile::open(dir.path() / "missing.h5"), InputError);

  // An HDF5 file that hopcap did not write.
  const fs::path foreign = dir.path() / "foreign.h5";
  {
    const hid_t file = H5Fcreate(foreign.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    ASSERT_GE(file, 0);
    const hsize_t n = 3;
    const hid_t space = H5Screate_simple(1, &n, nullptr);
    const hid_t ds =
        H5Dcreate2(file, "data", H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dclose(ds);
    H5Sclose(space);
    H5Fclose(file);
  }
  try {
    ResultsFile::open(foreign);
    ADD_FAILURE() << "opening a foreign HDF5 file did not throw";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("hopcap_format_version"), std::string::npos) << e.what();
  }

  // Not HDF5 at all.
  const fs::path text = dir.path() / "text.h5";
  std::ofstream(text) << "not an HDF5 file\n";
  EXPECT_THROW(ResultsFile::open(text), H5Error);
}

TEST(ResultsFile, RejectsBadInput) {
  const TempDir dir;
  const fs::path missing_dir = dir.path() / "no_such_dir" / "results.h5";
  try {
    ResultsFile::create(missing_dir, sample_layout());
    ADD_FAILURE() << "creating in a missing directory did not throw";
  } catch (const H5Error& e) {
    EXPECT_NE(std::string(e.what()).find(missing_dir.string()), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(missing_dir.parent_path()));

  {
    ResultsLayout bad = sample_layout();
    bad.variables.push_back({"capacity", "", "", {"M", "beta", "separation"}, ValueType::f64});
    EXPECT_THROW(ResultsFile::create(dir.path() / "a.h5", bad), ConfigError);
    bad = sample_layout();
    bad.variables.push_back({"partial", "", "", {"M", "beta"}, ValueType::f64});
    EXPECT_THROW(ResultsFile::create(dir.path() / "a.h5", bad), ConfigError);
    bad = sample_layout();
    bad.variables.push_back({"x", "", "", {"M", "beta", "separation", "nope"}, ValueType::f64});
    EXPECT_THROW(ResultsFile::create(dir.path() / "a.h5", bad), ConfigError);
    bad = sample_layout();
    bad.axes[0].labels = {"a", "b", "c"};
    EXPECT_THROW(ResultsFile::create(dir.path() / "a.h5", bad), ConfigError);
    bad = sample_layout();
    bad.variables.push_back({"status", "", "", {"M", "beta", "separation"}, ValueType::i8});
    EXPECT_THROW(ResultsFile::create(dir.path() / "a.h5", bad), ConfigError);
    bad = sample_layout();
    bad.axes[0].numbers = {1.5, 2};
    EXPECT_THROW(ResultsFile::create(dir.path() / "a.h5", bad), ConfigError);
    // CF: strings have no units; every flag value has one meaning.
    bad = sample_layout();
    bad.axes[2].units = "1";
    EXPECT_THROW(ResultsFile::create(dir.path() / "a.h5", bad), ConfigError);
    bad = sample_layout();
    bad.variables[3].flag_values = {0, 1};
    bad.variables[3].flag_meanings = "no";
    EXPECT_THROW(ResultsFile::create(dir.path() / "a.h5", bad), ConfigError);
    EXPECT_FALSE(fs::exists(dir.path() / "a.h5"));
  }

  ResultsFile file = ResultsFile::create(dir.path() / "results.h5", sample_layout());
  const Values good{{"capacity", {1.0}}};
  EXPECT_THROW(file.write_point(Point{0, 0}, good, PointStatus::ok), ConfigError);
  EXPECT_THROW(file.write_point(Point{0, 0, 0, 0}, good, PointStatus::ok), ConfigError);
  EXPECT_THROW(file.write_point(Point{3, 0, 0}, good, PointStatus::ok), ConfigError);
  EXPECT_THROW(file.write_point(Point{0, -1, 0}, good, PointStatus::ok), ConfigError);
  EXPECT_THROW(file.write_point(Point{0, 0, 0}, {{"nope", {1.0}}}, PointStatus::ok), ConfigError);
  EXPECT_THROW(file.write_point(Point{0, 0, 0}, {{"capacity", {1.0, 2.0}}}, PointStatus::ok),
               ConfigError);
  EXPECT_THROW(file.write_point(Point{0, 0, 0}, {{"loss", {1, 2, 3, 4, 5}}}, PointStatus::ok),
               ConfigError);
  EXPECT_THROW(file.write_point(Point{0, 0, 0}, {{"status", {1.0}}}, PointStatus::ok), ConfigError);
  EXPECT_THROW(file.write_point(Point{0, 0, 0}, {{"capacity", {1.0}}, {"n_retrieved", {2.5}}},
                                PointStatus::ok),
               KernelError);
  EXPECT_THROW(file.write_point(Point{0, 0, 0}, {{"converged", {128}}}, PointStatus::ok),
               KernelError);
  EXPECT_THROW(file.read_point("nope", Point{0, 0, 0}), ConfigError);
  EXPECT_THROW(file.read_point("capacity", Point{0, 2, 0}), ConfigError);
  EXPECT_THROW(file.set_final_attribute("hopcap_format_version", "2"), ConfigError);
  try {
    file.write_point(Point{0, 5, 0}, good, PointStatus::ok);
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("beta"), std::string::npos) << e.what();
  }
  // A rejected call wrote nothing.
  EXPECT_EQ(file.read_status()[0], PointStatus::not_run);
  expect_same(file.read_point("capacity", Point{0, 0, 0}), {kNaN}, "capacity after rejects");
}

// The raw-data byte ranges [offset, offset + size) of the preallocated variables.
std::vector<std::pair<std::uint64_t, std::uint64_t>> raw_data_ranges(
    const fs::path& path, const std::vector<std::string>& names) {
  std::vector<std::pair<std::uint64_t, std::uint64_t>> ranges;
  const hid_t file = open_read_only(path);
  EXPECT_GE(file, 0);
  for (const std::string& name : names) {
    const hid_t ds = H5Dopen2(file, name.c_str(), H5P_DEFAULT);
    EXPECT_GE(ds, 0) << name;
    const haddr_t offset = H5Dget_offset(ds);
    EXPECT_NE(offset, HADDR_UNDEF) << name << " is not allocated contiguously";
    ranges.emplace_back(offset, offset + H5Dget_storage_size(ds));
    H5Dclose(ds);
  }
  H5Fclose(file);
  return ranges;
}

// Bytes outside the raw-data ranges that differ between two snapshots of the file.
std::vector<std::size_t> changed_metadata(
    const std::vector<char>& before, const std::vector<char>& after,
    const std::vector<std::pair<std::uint64_t, std::uint64_t>>& ranges) {
  std::vector<std::size_t> changed;
  for (std::size_t k = 0; k < std::min(before.size(), after.size()); ++k) {
    if (after[k] == before[k]) continue;
    const bool raw = std::any_of(ranges.begin(), ranges.end(),
                                 [&](const auto& r) { return k >= r.first && k < r.second; });
    if (!raw) changed.push_back(k);
  }
  return changed;
}

std::string describe(const std::vector<std::size_t>& offsets) {
  std::string out;
  for (std::size_t k = 0; k < std::min<std::size_t>(offsets.size(), 10); ++k) {
    out += (k == 0 ? "" : ", ") + std::to_string(offsets[k]);
  }
  return offsets.empty() ? "none" : out + (offsets.size() > 10 ? ", ..." : "");
}

TEST(ResultsFile, WritingPointsLeavesMetadataUntouched) {
  const TempDir dir;
  const fs::path path = dir.path() / "results.h5";
  ResultsFile::create(path, sample_layout()).close();
  const std::vector<char> created = file_bytes(path);
  const auto ranges =
      raw_data_ranges(path, {"capacity", "n_retrieved", "loss", "converged", "status", "message"});

  // open() sets the "open for write" flag in the superblock (byte 20 of a version-0
  // superblock: the file consistency flags) and writes it at once; nothing else changes.
  ResultsFile file = ResultsFile::open(path);
  const std::vector<char> opened = file_bytes(path);
  ASSERT_EQ(opened.size(), created.size());
  for (std::size_t k : changed_metadata(created, opened, ranges)) {
    EXPECT_TRUE(k >= 20 && k < 24) << "open() changed metadata byte " << k;
  }

  for (std::int64_t i = 0; i < 3; ++i) {
    for (std::int64_t j = 0; j < 2; ++j) {
      for (std::int64_t k = 0; k < 2; ++k) {
        const auto x = static_cast<double>(i * 4 + j * 2 + k);
        file.write_point(Point{i, j, k},
                         {{"capacity", {x}}, {"n_retrieved", {x}}, {"loss", {x, x, x, x}}},
                         k == 0 ? PointStatus::ok : PointStatus::failed);
      }
    }
  }
  const std::vector<char> unflushed = file_bytes(path);
  EXPECT_EQ(describe(changed_metadata(opened, unflushed, ranges)), "none")
      << "metadata bytes changed by write_point";
  EXPECT_NE(unflushed, opened) << "write_point did not reach the file before flush()";
  file.flush();
  const std::vector<char> flushed = file_bytes(path);
  EXPECT_EQ(flushed.size(), opened.size());
  EXPECT_EQ(describe(changed_metadata(opened, flushed, ranges)), "none")
      << "metadata bytes changed by write_point + flush";
  EXPECT_EQ(flushed, unflushed) << "flush() wrote something beyond what write_point wrote";

  // close() clears the superblock flag again: the metadata is exactly what create() wrote.
  file.close();
  const std::vector<char> closed = file_bytes(path);
  EXPECT_EQ(closed.size(), created.size());
  EXPECT_EQ(describe(changed_metadata(created, closed, ranges)), "none")
      << "metadata bytes differ after close";
}

std::vector<std::string> leftovers(const fs::path& dir, const std::vector<std::string>& expected);

// A message lives in HDF5's global heap, which changes metadata: the point with its message and
// its status reaches the file only by a rename of a complete copy, at flush(); until then the
// file on disk is untouched except for raw data, and read_status() already sees the point.
TEST(ResultsFile, MessagesReachTheFileByRenameAtFlush) {
  const TempDir dir;
  const fs::path path = dir.path() / "results.h5";
  ResultsFile file = ResultsFile::create(path, sample_layout());
  const auto inode = [&] {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0);
    return st.st_ino;
  };
  const auto before = inode();
  const auto ranges =
      raw_data_ranges(path, {"capacity", "n_retrieved", "loss", "converged", "status", "message"});
  const std::vector<char> opened = file_bytes(path);
  file.write_point(Point{1, 0, 1}, {{"capacity", {0.5}}}, PointStatus::failed, "diverged");
  file.write_point(Point{2, 1, 0}, {}, PointStatus::skipped, "filtered");
  file.write_point(Point{0, 0, 0}, {{"capacity", {1.5}}}, PointStatus::ok);
  EXPECT_EQ(describe(changed_metadata(opened, file_bytes(path), ranges)), "none");
  EXPECT_EQ(inode(), before);
  const std::vector<PointStatus> seen = file.read_status();
  EXPECT_EQ(seen[5], PointStatus::failed);
  EXPECT_EQ(seen[10], PointStatus::skipped);
  EXPECT_EQ(seen[0], PointStatus::ok);
  expect_same(file.read_point("status", Point{1, 0, 1}), {2}, "pending status");
  {
    // On disk the pending points are not run yet; the ok point is.
    const hid_t f = open_read_only(path);
    const hid_t ds = H5Dopen2(f, "status", H5P_DEFAULT);
    std::int8_t raw[12] = {};
    EXPECT_GE(H5Dread(ds, H5T_NATIVE_INT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw), 0);
    H5Dclose(ds);
    H5Fclose(f);
    EXPECT_EQ(raw[5], 0);
    EXPECT_EQ(raw[10], 0);
    EXPECT_EQ(raw[0], 1);
  }
  file.flush();
  EXPECT_NE(inode(), before) << "flush() did not replace the file";
  EXPECT_EQ(read_message(path, Point{1, 0, 1}), "diverged");
  EXPECT_EQ(read_message(path, Point{2, 1, 0}), "filtered");
  EXPECT_EQ(read_message(path, Point{0, 0, 0}), "");
  // The file is open again and keeps taking points.
  file.write_point(Point{1, 1, 1}, {{"capacity", {2.5}}}, PointStatus::ok);
  file.close();
  ResultsFile reopened = ResultsFile::open(path);
  const std::vector<PointStatus> status = reopened.read_status();
  EXPECT_EQ(status[5], PointStatus::failed);
  EXPECT_EQ(status[10], PointStatus::skipped);
  EXPECT_EQ(status[7], PointStatus::ok);
  expect_same(reopened.read_point("capacity", Point{1, 0, 1}), {0.5}, "capacity of the failed point");
  expect_same(reopened.read_point("capacity", Point{1, 1, 1}), {2.5}, "capacity after the rewrite");
  reopened.close();
  EXPECT_EQ(leftovers(dir.path(), {"results.h5"}), std::vector<std::string>{});
}

// Global attributes keep their type: numbers are numbers (CF), text is text.
TEST(ResultsFile, GlobalAttributesKeepTheirTypes) {
  const TempDir dir;
  const fs::path path = dir.path() / "results.h5";
  ResultsLayout layout = sample_layout();
  layout.attributes["mpi_ranks"] = std::int64_t{4};
  layout.attributes["tolerance"] = 0.125;
  layout.variables[3].flag_values = {0, 1};
  layout.variables[3].flag_meanings = "not_converged converged";
  {
    ResultsFile file = ResultsFile::create(path, layout);
    file.set_final_attribute("configurations_run", std::int64_t{12});
    file.set_final_attribute("gflops_counted", 2.5e-3);
    file.close();
  }
  const hid_t f = open_read_only(path);
  ASSERT_GE(f, 0);
  const auto class_and_size = [&](const char* name) {
    const hid_t attr = H5Aopen(f, name, H5P_DEFAULT);
    const hid_t type = H5Aget_type(attr);
    const auto out = std::make_pair(H5Tget_class(type), H5Tget_size(type));
    H5Tclose(type);
    H5Aclose(attr);
    return out;
  };
  EXPECT_EQ(class_and_size("mpi_ranks"), std::make_pair(H5T_INTEGER, std::size_t{8}));
  EXPECT_EQ(class_and_size("configurations_run"), std::make_pair(H5T_INTEGER, std::size_t{8}));
  EXPECT_EQ(class_and_size("tolerance"), std::make_pair(H5T_FLOAT, std::size_t{8}));
  EXPECT_EQ(class_and_size("gflops_counted"), std::make_pair(H5T_FLOAT, std::size_t{8}));
  EXPECT_EQ(class_and_size("hopcap_format_version"), std::make_pair(H5T_INTEGER, std::size_t{4}));
  EXPECT_EQ(class_and_size("config").first, H5T_STRING);
  {
    // The flag variable's flag_values have its own type (int8 here).
    const hid_t ds = H5Dopen2(f, "converged", H5P_DEFAULT);
    const hid_t attr = H5Aopen(ds, "flag_values", H5P_DEFAULT);
    const hid_t type = H5Aget_type(attr);
    EXPECT_EQ(H5Tget_class(type), H5T_INTEGER);
    EXPECT_EQ(H5Tget_size(type), 1U);
    std::int8_t flags[2] = {};
    EXPECT_GE(H5Aread(attr, H5T_NATIVE_INT8, flags), 0);
    EXPECT_EQ(flags[0], 0);
    EXPECT_EQ(flags[1], 1);
    H5Tclose(type);
    H5Aclose(attr);
    H5Dclose(ds);
  }
  H5Fclose(f);
  ResultsFile file = ResultsFile::open(path);
  EXPECT_EQ(file.attribute("mpi_ranks"), "4");
  EXPECT_EQ(file.attribute("configurations_run"), "12");
  EXPECT_EQ(file.attribute("tolerance"), "0.125");
  EXPECT_EQ(file.attribute("gflops_counted"), "0.0025000000000000001");
}

// --- crash safety --------------------------------------------------------------------------

constexpr std::int64_t kCrashA = 50;
constexpr std::int64_t kCrashB = 40;
constexpr std::int64_t kCrashK = 8;

ResultsLayout crash_layout() {
  ResultsLayout layout;
  AxisSpec a{"a", "first axis", "1", {}, {}, true};
  for (std::int64_t i = 0; i < kCrashA; ++i) a.numbers.push_back(static_cast<double>(i));
  AxisSpec b{"b", "second axis", "s", {}, {}, false};
  for (std::int64_t j = 0; j < kCrashB; ++j) b.numbers.push_back(0.125 * static_cast<double>(j));
  layout.axes = {a, b};
  layout.extra_dims.push_back({"k", "curve index", kCrashK});
  layout.variables.push_back({"x", "x", "1", {"a", "b"}, ValueType::f64});
  layout.variables.push_back({"y", "y", "1", {"a", "b"}, ValueType::i64});
  layout.variables.push_back({"curve", "curve", "1", {"a", "b", "k"}, ValueType::f64});
  return layout;
}

// The deterministic content of flat point i.
bool crash_point_fails(std::int64_t i) { return i % 7 == 3; }
Values crash_values(std::int64_t i) {
  std::vector<double> curve;
  for (std::int64_t k = 0; k < kCrashK; ++k) {
    curve.push_back(static_cast<double>(i) + static_cast<double>(k) / 8.0);
  }
  return {{"x", {0.5 * static_cast<double>(i) + 0.25}},
          {"y", {static_cast<double>(3 * i + 1)}},
          {"curve", curve}};
}
std::string crash_message(std::int64_t i) { return "point " + std::to_string(i) + " failed"; }

// Child process: creates the file and writes points round and round, flushing now and then;
// after `signal_after` points it writes one byte to `fd`. Never returns.
[[noreturn]] void crash_child(const fs::path& path, std::int64_t signal_after, int fd) {
  ::alarm(60);  // never outlive a parent that stopped waiting
  try {
    ResultsFile file = ResultsFile::create(path, crash_layout());
    std::int64_t written = 0;
    for (;;) {
      for (std::int64_t i = 0; i < kCrashA * kCrashB; ++i) {
        const Point p{i / kCrashB, i % kCrashB};
        if (crash_point_fails(i)) {
          file.write_point(p, {}, PointStatus::failed, crash_message(i));
        } else {
          file.write_point(p, crash_values(i), PointStatus::ok);
        }
        if (i % 8 == 7) file.flush();
        if (++written == signal_after) {
          const char byte = 1;
          if (::write(fd, &byte, 1) != 1) ::_exit(3);
        }
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "crash child: %s\n", e.what());
  }
  ::_exit(2);
}

TEST(ResultsFile, SurvivesWriterKilledMidRun) {
  const TempDir dir;
  std::mt19937 rng(12345);
  for (int round = 0; round < 10; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const fs::path path = dir.path() / ("crash_" + std::to_string(round) + ".h5");
    const std::int64_t signal_after = 10 + 37 * round;
    const int delay_us = std::uniform_int_distribution<int>(0, 4000)(rng);

    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      crash_child(path, signal_after, fds[1]);
    }
    ::close(fds[1]);
    char byte = 0;
    const ssize_t got = ::read(fds[0], &byte, 1);
    ::close(fds[0]);
    if (got == 1) std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
    ::kill(pid, SIGKILL);
    int wstatus = 0;
    ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
    ASSERT_EQ(got, 1) << "the writer died before writing " << signal_after << " points";
    ASSERT_TRUE(WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGKILL)
        << "the writer ended on its own (status " << wstatus << ")";

    std::size_t ok = 0;
    std::size_t failed = 0;
    {
      ResultsFile file = ResultsFile::open(path);
      ASSERT_EQ(file.grid_shape(), (std::vector<std::int64_t>{kCrashA, kCrashB}));
      const std::vector<PointStatus> status = file.read_status();
      for (std::int64_t i = 0; i < kCrashA * kCrashB; ++i) {
        const Point p{i / kCrashB, i % kCrashB};
        const PointStatus s = status[static_cast<std::size_t>(i)];
        // Every point written before the signal is in the file; a failed one (with its
        // message) once the flush after it was done.
        const std::int64_t last_flushed = (signal_after / 8) * 8 - 1;
        if (i < signal_after && (!crash_point_fails(i) || i <= last_flushed)) {
          ASSERT_NE(s, PointStatus::not_run) << "point " << i << " lost";
        }
        if (s == PointStatus::ok) {
          ++ok;
          ASSERT_FALSE(crash_point_fails(i)) << "point " << i;
          const Values expected = crash_values(i);
          for (const auto& [name, values] : expected) {
            ASSERT_EQ(file.read_point(name, p), values) << name << " at point " << i;
          }
        } else if (s == PointStatus::failed) {
          ++failed;
          ASSERT_TRUE(crash_point_fails(i)) << "point " << i;
          ASSERT_EQ(read_message(path, p), crash_message(i)) << "point " << i;
        } else {
          ASSERT_EQ(s, PointStatus::not_run) << "point " << i;
        }
      }
      file.close();
    }
    // Failed points after the last flush before the signal may still wait for their rewrite.
    std::int64_t waiting = 0;
    for (std::int64_t i = (signal_after / 8) * 8; i < signal_after; ++i) waiting += crash_point_fails(i) ? 1 : 0;
    EXPECT_GE(ok + failed, static_cast<std::size_t>(signal_after - waiting));
    // Messages of failed points (read once per round, on the first failed point).
    EXPECT_EQ(read_message(path, Point{0, 3}), crash_message(3));
    std::printf("round %d: killed %d us after point %lld; %zu ok, %zu failed points\n", round,
                delay_us, static_cast<long long>(signal_after), ok, failed);
  }
}

// --- xarray / h5py ---------------------------------------------------------------------------

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string json_number(double x) {
  if (std::isnan(x)) return "null";
  char buffer[40];
  std::snprintf(buffer, sizeof buffer, "%.17g", x);
  return buffer;
}

std::string json_numbers(const std::vector<double>& xs) {
  std::string out = "[";
  for (std::size_t k = 0; k < xs.size(); ++k) out += (k == 0 ? "" : ", ") + json_number(xs[k]);
  return out + "]";
}

std::string json_strings(const std::vector<std::string>& xs) {
  std::string out = "[";
  for (std::size_t k = 0; k < xs.size(); ++k) out += (k == 0 ? "" : ", ") + json_string(xs[k]);
  return out + "]";
}

// The expectations handed to check_results_file.py.
struct WrittenPoint {
  Point index;
  PointStatus status;
  std::string message;
  Values values;
};

std::string expectation_json(const ResultsLayout& layout, const std::vector<WrittenPoint>& points) {
  std::ostringstream out;
  out << "{\n  \"format_version\": " << kResultsFormatVersion << ",\n";
  out << "  \"message_length\": " << layout.message_length << ",\n  \"axes\": [\n";
  for (std::size_t a = 0; a < layout.axes.size(); ++a) {
    const AxisSpec& axis = layout.axes[a];
    const std::string kind = !axis.labels.empty() ? "str" : axis.integer ? "int" : "float";
    out << "    {\"name\": " << json_string(axis.name)
        << ", \"long_name\": " << json_string(axis.long_name)
        << ", \"units\": " << json_string(axis.units) << ", \"kind\": \"" << kind
        << "\", \"values\": "
        << (axis.labels.empty() ? json_numbers(axis.numbers) : json_strings(axis.labels)) << "}"
        << (a + 1 < layout.axes.size() ? ",\n" : "\n");
  }
  out << "  ],\n  \"extra_dims\": [\n";
  for (std::size_t e = 0; e < layout.extra_dims.size(); ++e) {
    const ExtraDimSpec& dim = layout.extra_dims[e];
    out << "    {\"name\": " << json_string(dim.name)
        << ", \"long_name\": " << json_string(dim.long_name) << ", \"units\": " << json_string(dim.units)
        << ", \"size\": " << dim.size << "}"
        << (e + 1 < layout.extra_dims.size() ? ",\n" : "\n");
  }
  out << "  ],\n  \"variables\": [\n";
  for (std::size_t v = 0; v < layout.variables.size(); ++v) {
    const VariableSpec& var = layout.variables[v];
    const char* type = var.type == ValueType::f64   ? "f64"
                       : var.type == ValueType::i64 ? "i64"
                                                    : "i8";
    out << "    {\"name\": " << json_string(var.name)
        << ", \"long_name\": " << json_string(var.long_name)
        << ", \"units\": " << json_string(var.units) << ", \"dims\": " << json_strings(var.dims)
        << ", \"type\": \"" << type << "\"}" << (v + 1 < layout.variables.size() ? ",\n" : "\n");
  }
  out << "  ],\n  \"attributes\": {";
  bool first = true;
  for (const auto& [name, value] : layout.attributes) {
    out << (first ? "" : ", ") << json_string(name) << ": ";
    if (const auto* text = std::get_if<std::string>(&value)) {
      out << json_string(*text);
    } else if (const auto* integer = std::get_if<std::int64_t>(&value)) {
      out << *integer;
    } else {
      out << json_number(std::get<double>(value));
    }
    first = false;
  }
  out << "},\n  \"points\": [\n";
  for (std::size_t p = 0; p < points.size(); ++p) {
    const WrittenPoint& w = points[p];
    std::vector<double> index(w.index.begin(), w.index.end());
    out << "    {\"index\": " << json_numbers(index)
        << ", \"status\": " << static_cast<int>(w.status)
        << ", \"message\": " << json_string(w.message) << ", \"values\": {";
    bool first_value = true;
    for (const auto& [name, values] : w.values) {
      out << (first_value ? "" : ", ") << json_string(name) << ": " << json_numbers(values);
      first_value = false;
    }
    out << "}}" << (p + 1 < points.size() ? ",\n" : "\n");
  }
  out << "  ]\n}\n";
  return out.str();
}

TEST(ResultsFile, ReadableWithXarrayAndH5py) {
  const fs::path python = "/usr/bin/python3";
  if (!fs::exists(python)) GTEST_SKIP() << "/usr/bin/python3 not found; skipping";
  const fs::path script =
      fs::path(HOPCAP_SOURCE_DIR) / "tests" / "python" / "check_results_file.py";
  ASSERT_TRUE(fs::exists(script)) << script;

  const TempDir dir;
  const fs::path path = dir.path() / "results.h5";
  ResultsLayout layout = sample_layout();
  layout.attributes["mpi_ranks"] = std::int64_t{3};
  layout.attributes["gflops_counted"] = 0.75;
  // Values of a shorter curve are padded with NaN; the message is stored as given (short).
  const std::vector<WrittenPoint> points = {
      {{0, 0, 0},
       PointStatus::ok,
       "",
       {{"capacity", {0.1}}, {"n_retrieved", {7}}, {"loss", {1.5, 0.75}}}},
      {{2, 1, 1},
       PointStatus::ok,
       "",
       {{"capacity", {1.0 / 3.0}},
        {"n_retrieved", {-12}},
        {"loss", {4, 3, 2, 1}},
        {"converged", {1}}}},
      {{1, 0, 1}, PointStatus::failed, "no convergence", {}},
      {{0, 1, 0}, PointStatus::skipped, "", {{"capacity", {2.5}}}},
  };
  {
    ResultsFile file = ResultsFile::create(path, layout);
    for (const WrittenPoint& w : points) file.write_point(w.index, w.values, w.status, w.message);
    file.close();
  }
  const fs::path expected = dir.path() / "expected.json";
  std::ofstream(expected) << expectation_json(layout, points);
  const fs::path log = dir.path() / "check.log";
  const std::string command = python.string() + " " + script.string() + " " + path.string() + " " +
                              expected.string() + " > " + log.string() + " 2>&1";
  const int rc = std::system(command.c_str());
  std::ifstream in(log);
  const std::string output{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  ASSERT_TRUE(WIFEXITED(rc)) << command << "\n" << output;
  if (WEXITSTATUS(rc) == 77) {
    GTEST_SKIP() << "/usr/bin/python3 lacks xarray, h5netcdf or h5py (Debian: python3-xarray "
                    "python3-h5netcdf python3-h5py); skipping: "
                 << output;
  }
  EXPECT_EQ(WEXITSTATUS(rc), 0) << command << "\n" << output;
}

// The message of the error `action` throws as E, or "" (with a test failure) when it does not.
template <class E, class F>
std::string error_of(F action) {
  try {
    action();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "no exception of the expected type";
  return {};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Files in `dir` other than the ones named: temporary or lock files left behind.
std::vector<std::string> leftovers(const fs::path& dir, const std::vector<std::string>& expected) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (std::find(expected.begin(), expected.end(), name) == expected.end()) out.push_back(name);
  }
  return out;
}

// HDF5 file ids still open in this process: a failed close that left one behind makes HDF5
// crash when the library shuts down at exit.
ssize_t open_hdf5_files() { return H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_FILE); }

TEST(ResultsFile, RefusesToReplaceExistingOrNonRegularOutputs) {
  const TempDir dir;
  const fs::path path = dir.path() / "results.h5";
  {
    ResultsFile file = ResultsFile::create(path, sample_layout());
    file.write_point(Point{0, 0, 0}, {{"capacity", {0.5}}}, PointStatus::ok);
    file.close();
  }
  const std::string refused =
      error_of<ConfigError>([&] { ResultsFile::create(path, sample_layout()); });
  EXPECT_TRUE(contains(refused, "already exists") && contains(refused, "--resume") &&
              contains(refused, "--overwrite"))
      << refused;
  {
    ResultsFile kept = ResultsFile::open(path);
    EXPECT_EQ(kept.read_status()[0], PointStatus::ok) << "a refused create changed the file";
  }
  {
    ResultsFile fresh = ResultsFile::create(path, sample_layout(), /*overwrite=*/true);
    EXPECT_EQ(fresh.read_status()[0], PointStatus::not_run) << "--overwrite did not start a new file";
  }

  // A FIFO stands for a device such as /dev/null: never replaced, not even with overwrite.
  const fs::path fifo = dir.path() / "fifo.h5";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0644), 0);
  for (bool overwrite : {false, true}) {
    const std::string message =
        error_of<ConfigError>([&] { ResultsFile::create(fifo, sample_layout(), overwrite); });
    EXPECT_TRUE(contains(message, "not a regular file")) << message;
    EXPECT_TRUE(fs::is_fifo(fs::symlink_status(fifo)));
  }
  // A symbolic link is not replaced by a file either, and what it points to stays as it was.
  const fs::path target = dir.path() / "target.txt";
  std::ofstream(target) << "someone else's data\n";
  const fs::path link = dir.path() / "link.h5";
  fs::create_symlink(target, link);
  for (bool overwrite : {false, true}) {
    error_of<ConfigError>([&] { ResultsFile::create(link, sample_layout(), overwrite); });
    EXPECT_TRUE(fs::is_symlink(fs::symlink_status(link)));
  }
  std::ifstream in(target);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()),
            "someone else's data\n");
  EXPECT_EQ(leftovers(dir.path(), {"results.h5", "fifo.h5", "target.txt", "link.h5"}),
            std::vector<std::string>{});
}

TEST(ResultsFile, SecondWriterOnThePathIsRefusedWhileTheFirstHoldsIt) {
  const TempDir dir;
  const fs::path path = dir.path() / "results.h5";
  ResultsFile first = ResultsFile::create(path, sample_layout());
  first.write_point(Point{1, 0, 0}, {{"capacity", {0.25}}}, PointStatus::ok);
  const std::string pid = "pid " + std::to_string(::getpid());
  for (bool overwrite : {false, true}) {
    const std::string message =
        error_of<InputError>([&] { ResultsFile::create(path, sample_layout(), overwrite); });
    EXPECT_TRUE(contains(message, "in use by another hopcap run") && contains(message, pid)) << message;
  }
  const std::string reopened = error_of<InputError>([&] { ResultsFile::open(path); });
  EXPECT_TRUE(contains(reopened, "in use by another hopcap run")) << reopened;
  EXPECT_EQ(first.read_status()[4], PointStatus::ok) << "the refused writers touched the file";
  first.close();
  EXPECT_FALSE(fs::exists(dir.path() / "results.h5.lock")) << "close() left its lock file";

  // A lock file left by a killed run (the kernel dropped its flock) does not block anyone.
  std::ofstream(dir.path() / "results.h5.lock") << "999999\n";
  ResultsFile resumed = ResultsFile::open(path);
  EXPECT_EQ(resumed.read_status()[4], PointStatus::ok);
}

// Write failures (an I/O error, a full disk) at creation, in the middle of a run and at the
// final update: each is one H5Error, no HDF5 file id stays open (it would crash the process at
// exit), and the path holds no file or a readable one with every committed point.
class ResultsFileWriteFaults : public ::testing::TestWithParam<int> {
 protected:
  void TearDown() override { hopcap_fault_disarm(); }
};

TEST_P(ResultsFileWriteFaults, FailAtCreation) {
  const TempDir dir;
  const fs::path path = dir.path() / "results.h5";
  {
    hopcap_fault_arm(path.c_str(), 0, GetParam());
    const std::string message = error_of<H5Error>([&] { ResultsFile::create(path, sample_layout()); });
    hopcap_fault_disarm();
    EXPECT_TRUE(contains(message, path.string()) && contains(message, std::strerror(GetParam()))) << message;
    EXPECT_FALSE(fs::exists(path));
    EXPECT_EQ(leftovers(dir.path(), {}), std::vector<std::string>{});
    EXPECT_EQ(open_hdf5_files(), 0);
  }
}

TEST_P(ResultsFileWriteFaults, FailMidRunKeepsCommittedPoints) {
  const TempDir dir;
  const fs::path path = dir.path() / "results.h5";
  {
    ResultsFile file = ResultsFile::create(path, sample_layout());
    file.write_point(Point{0, 1, 0}, {{"capacity", {0.75}}, {"n_retrieved", {3}}}, PointStatus::ok);
    file.flush();
    hopcap_fault_arm(path.c_str(), 0, GetParam());
    error_of<H5Error>([&] { file.write_point(Point{2, 1, 1}, {{"capacity", {0.5}}}, PointStatus::ok); });
    file.set_final_attribute("end_time", "2000-01-01T00:00:00Z");
    error_of<H5Error>([&] { file.close(); });
    hopcap_fault_disarm();
  }
  EXPECT_EQ(open_hdf5_files(), 0);
  EXPECT_EQ(leftovers(dir.path(), {"results.h5"}), std::vector<std::string>{});
  ResultsFile reopened = ResultsFile::open(path);
  const std::vector<PointStatus> status = reopened.read_status();
  EXPECT_EQ(status[2], PointStatus::ok);
  EXPECT_EQ(status[11], PointStatus::not_run);
  expect_same(reopened.read_point("capacity", Point{0, 1, 0}), {0.75}, "capacity");
  expect_same(reopened.read_point("n_retrieved", Point{0, 1, 0}), {3}, "n_retrieved");
  EXPECT_EQ(reopened.attribute("end_time"), "");
}

TEST_P(ResultsFileWriteFaults, FailAtFinalUpdateKeepsTheFileResumable) {
  const TempDir dir;
  const fs::path path = dir.path() / "results.h5";
  {
    ResultsFile file = ResultsFile::create(path, sample_layout());
    for (std::int64_t m = 0; m < 3; ++m) {
      file.write_point(Point{m, 0, 1}, {{"capacity", {0.125 * static_cast<double>(m)}}}, PointStatus::ok);
    }
    file.set_final_attribute("end_time", "2000-01-01T00:00:00Z");
    file.set_final_attribute("configurations_run", "3");
    hopcap_fault_arm(path.c_str(), 0, GetParam());
    const std::string message = error_of<H5Error>([&] { file.close(); });
    hopcap_fault_disarm();
    EXPECT_TRUE(contains(message, std::strerror(GetParam()))) << message;
  }
  EXPECT_EQ(open_hdf5_files(), 0);
  EXPECT_EQ(leftovers(dir.path(), {"results.h5"}), std::vector<std::string>{});
  {
    ResultsFile resumed = ResultsFile::open(path);
    for (std::int64_t m = 0; m < 3; ++m) {
      EXPECT_EQ(resumed.read_status()[static_cast<std::size_t>(m * 4 + 1)], PointStatus::ok);
      expect_same(resumed.read_point("capacity", Point{m, 0, 1}), {0.125 * static_cast<double>(m)}, "capacity");
    }
    EXPECT_EQ(resumed.attribute("end_time"), "") << "a failed final update left its attributes";
    resumed.set_final_attribute("end_time", "2000-01-01T00:00:01Z");
    resumed.close();
  }
  ResultsFile finished = ResultsFile::open(path);
  EXPECT_EQ(finished.attribute("end_time"), "2000-01-01T00:00:01Z");
  EXPECT_EQ(finished.read_status()[5], PointStatus::ok);
}

INSTANTIATE_TEST_SUITE_P(Errno, ResultsFileWriteFaults, ::testing::Values(EIO, ENOSPC),
                         [](const ::testing::TestParamInfo<int>& param_info) {
                           return std::string(param_info.param == EIO ? "EIO" : "ENOSPC");
                         });

}  // namespace
}  // namespace hopcap::io
