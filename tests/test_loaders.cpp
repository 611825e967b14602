// File loaders and preprocessing: Sloane's packings against the published table, vector text
// files, IDX (plain and gzipped), HDF5, and the seeded subset.
#include <gtest/gtest.h>
#include <hdf5.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <limits>
#include <numbers>
#include <string>
#include <vector>

#include "hopcap/error.hpp"
#include "hopcap/io/feature_map_io.hpp"
#include "hopcap/io/input_file.hpp"
#include "hopcap/io/loaders.hpp"
#include "test_support.hpp"

namespace hopcap {
namespace {

namespace fs = std::filesystem;

double min_angle_deg(const Matrix& a) {
  double best = -1.0;
  for (std::int64_t i = 0; i < a.rows; ++i) {
    for (std::int64_t j = i + 1; j < a.rows; ++j) {
      double ab = 0.0;
      double aa = 0.0;
      double bb = 0.0;
      for (std::int64_t k = 0; k < a.cols; ++k) {
        ab += a(i, k) * a(j, k);
        aa += a(i, k) * a(i, k);
        bb += a(j, k) * a(j, k);
      }
      best = std::max(best, ab / std::sqrt(aa * bb));
    }
  }
  return std::acos(std::clamp(best, -1.0, 1.0)) * 180.0 / std::numbers::pi;
}

template <typename Fn>
std::string error_message(Fn&& fn) {
  try {
    fn();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "<no exception>";
}

// A fresh directory under the system temp dir, removed after each test.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() /
           ("hopcap-loaders-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path write(const std::string& name, const std::string& contents) const {
    const fs::path path = dir_ / name;
    std::ofstream out(path, std::ios::binary);
    out << contents;
    return path;
  }
  fs::path dir_;
};

// ---------------------------------------------------------------- Sloane's d = 3 packings

std::int64_t points_in_name(const fs::path& file) {
  // pack.3.N.txt
  const std::string stem = file.stem().string();
  return std::stoll(stem.substr(stem.rfind('.') + 1));
}

TEST(SloaneFiles, EveryFileLoadsWithNRowsOfThreeCoordinates) {
  // The angles of these codes are checked against Sloane's table in test_exact_code_metrics.
  HOPCAP_REQUIRE_SHARED(shared);
  int files = 0;
  for (const auto& entry : fs::directory_iterator(shared / "spherical-codes" / "sloane-dim3")) {
    if (entry.path().extension() != ".txt") continue;
    ++files;
    const Matrix m = io::load_text(entry.path());
    ASSERT_EQ(m.cols, 3) << entry.path();
    ASSERT_EQ(m.rows, points_in_name(entry.path())) << entry.path();
  }
  EXPECT_EQ(files, 127);
}

TEST(SloaneFiles, Pack24WithTrailerLoads24Points) {
  HOPCAP_REQUIRE_SHARED(shared);
  const Matrix m = io::load_text(shared / "spherical-codes" / "sloane-dim3" / "pack.3.24.txt");
  ASSERT_EQ(m.rows, 24);
  ASSERT_EQ(m.cols, 3);
  EXPECT_NEAR(min_angle_deg(m), 43.6907671, 1e-6);
}

TEST(SloaneFiles, IntegerFormatPack124IsNormalised) {
  HOPCAP_REQUIRE_SHARED(shared);
  const fs::path path = shared / "spherical-codes" / "sloane-dim3" / "pack.3.124.txt";
  for (const auto format : {io::TextFormat::automatic, io::TextFormat::sloane}) {
    const Matrix m = io::load_text(path, format);
    ASSERT_EQ(m.rows, 124);
    ASSERT_EQ(m.cols, 3);
    for (std::int64_t i = 0; i < m.rows; ++i) {
      const double norm = std::sqrt(m(i, 0) * m(i, 0) + m(i, 1) * m(i, 1) + m(i, 2) * m(i, 2));
      EXPECT_NEAR(norm, 1.0, 1e-14) << "row " << i;
    }
    EXPECT_NEAR(min_angle_deg(m), 18.9513993, 1e-6);
  }
}

TEST(SloaneFiles, LoadSourceAcceptsSloanePrefix) {
  HOPCAP_REQUIRE_SHARED(shared);
  const fs::path path = shared / "spherical-codes" / "sloane-dim3" / "pack.3.10.txt";
  const Matrix a = io::load_source("sloane:" + path.string());
  const Matrix b = io::load_source(path.string());
  EXPECT_EQ(a.rows, 10);
  EXPECT_EQ(a.data, b.data);
}

class SloaneFormat : public TempDirTest {};

TEST_F(SloaneFormat, OneNumberPerLineNeedsTheDimension) {
  const fs::path path = write("points.txt", "1\n0\n0\n0\n1\n0\n");
  const std::string message =
      error_message([&] { io::load_text(path, io::TextFormat::sloane); });
  EXPECT_NE(message.find(path.string()), std::string::npos) << message;
  EXPECT_NE(message.find("dimension"), std::string::npos) << message;
  const Matrix m = io::load_text(path, io::TextFormat::sloane, 3);
  EXPECT_EQ(m.rows, 2);
  EXPECT_EQ(m.data, (std::vector<double>{1, 0, 0, 0, 1, 0}));
}

TEST_F(SloaneFormat, CountNotDivisibleByDimensionThrows) {
  const fs::path path = write("pack.3.2.txt", "1\n0\n0\n0\n1\n");
  const std::string message = error_message([&] { io::load_text(path); });
  EXPECT_NE(message.find(path.string()), std::string::npos) << message;
  EXPECT_NE(message.find("not divisible"), std::string::npos) << message;
  EXPECT_THROW(io::load_text(path), InputError);
}

TEST_F(SloaneFormat, PointCountMustMatchTheFileName) {
  const fs::path path = write("pack.3.3.txt", "1\n0\n0\n0\n1\n0\n");
  EXPECT_THROW(io::load_text(path), InputError);
}

TEST_F(SloaneFormat, TrailerEndsTheDataButNumbersMayNotFollowIt) {
  const fs::path good = write("pack.3.2.txt", "1 0 0\n0 1 0\nmin angle = 90\ndate: today\n");
  EXPECT_EQ(io::load_text(good).data, (std::vector<double>{1, 0, 0, 0, 1, 0}));
  const fs::path bad = write("bad.txt", "1 0 0\nnote\n0 1 0\n");
  const std::string message =
      error_message([&] { io::load_text(bad, io::TextFormat::sloane, 3); });
  EXPECT_NE(message.find(bad.string() + ":3:"), std::string::npos) << message;
}

TEST_F(SloaneFormat, DamagedNumberIsNotATrailer) {
  const fs::path path = write("pack.3.2.txt", "1\n0\n0\n0\n1x\n0\n");
  const std::string message = error_message([&] { io::load_text(path); });
  EXPECT_NE(message.find(path.string() + ":5:"), std::string::npos) << message;
  EXPECT_NE(message.find("'1x'"), std::string::npos) << message;
}

TEST_F(SloaneFormat, IntegerHeaderCountMustMatch) {
  const fs::path path = write("ints.txt", "3 2 1\n1073741824\n0\n0\n0\n1073741824\n");
  EXPECT_THROW(io::load_text(path, io::TextFormat::sloane), InputError);
  const fs::path ok = write("ints2.txt", "3 2 1\n2147483648\n0\n0\n0\n-5\n0\n");
  const Matrix m = io::load_text(ok);  // the header alone marks it as Sloane's format
  EXPECT_EQ(m.data, (std::vector<double>{1, 0, 0, 0, -1, 0}));
}

// ---------------------------------------------------------------- vector text files

class VectorText : public TempDirTest {};

TEST_F(VectorText, CommasSpacesBlankLinesAndComments) {
  const fs::path path = write("v.txt",
                              "# header comment\n"
                              "1, 2, 3\n"
                              "\n"
                              "  4 5\t6   # trailing comment\n"
                              "7,8 ,  9\r\n"
                              "-1e-3 +2.5 .5\n");
  const Matrix m = io::load_text(path);
  ASSERT_EQ(m.rows, 4);
  ASSERT_EQ(m.cols, 3);
  EXPECT_EQ(m.data, (std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9, -1e-3, 2.5, 0.5}));
  EXPECT_EQ(io::load_source("text:" + path.string()).data, m.data);
  EXPECT_EQ(io::load_source(path.string()).data, m.data);
}

TEST_F(VectorText, RaggedRowsThrowWithLineNumber) {
  const fs::path path = write("ragged.txt", "1 2 3\n# c\n4 5\n");
  const std::string message = error_message([&] { io::load_text(path); });
  EXPECT_NE(message.find(path.string() + ":3:"), std::string::npos) << message;
  EXPECT_NE(message.find("ragged"), std::string::npos) << message;
  EXPECT_THROW(io::load_text(path), InputError);
}

TEST_F(VectorText, NonNumericTokensThrow) {
  for (const std::string bad : {"abc", "1.2.3", "0x10", "nan", "inf", "1e999", "--1"}) {
    const fs::path path = write("bad.txt", "1 2\n3 " + bad + "\n");
    EXPECT_THROW(io::load_text(path), InputError) << bad;
    const std::string message = error_message([&] { io::load_text(path); });
    EXPECT_NE(message.find(path.string() + ":2:"), std::string::npos) << message;
  }
  const fs::path empty_field = write("fields.txt", "1,,2\n");
  EXPECT_THROW(io::load_text(empty_field), InputError);
}

TEST_F(VectorText, EmptyAndMissingFilesThrow) {
  const fs::path empty = write("empty.txt", "");
  const fs::path comments = write("comments.txt", "# nothing\n\n   \n");
  for (const fs::path& path : {empty, comments}) {
    const std::string message = error_message([&] { io::load_text(path); });
    EXPECT_NE(message.find(path.string()), std::string::npos) << message;
    EXPECT_NE(message.find("empty"), std::string::npos) << message;
    EXPECT_THROW(io::load_text(path), InputError);
  }
  const fs::path missing = dir_ / "missing.txt";
  EXPECT_THROW(io::load_text(missing), InputError);
  EXPECT_NE(error_message([&] { io::load_text(missing); }).find(missing.string()),
            std::string::npos);
}

TEST_F(VectorText, ExplicitDimensionMustMatch) {
  const fs::path path = write("v.txt", "1 2 3\n");
  EXPECT_EQ(io::load_text(path, io::TextFormat::vectors, 3).cols, 3);
  EXPECT_THROW(io::load_text(path, io::TextFormat::vectors, 4), InputError);
}

// ---------------------------------------------------------------- IDX

std::string be32(std::uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>((v >> 16) & 0xff),
          static_cast<char>((v >> 8) & 0xff), static_cast<char>(v & 0xff)};
}

// 3 items of 2x2 unsigned bytes.
std::string tiny_idx() {
  std::string bytes = std::string("\x00\x00\x08\x03", 4) + be32(3) + be32(2) + be32(2);
  for (int v : {0, 1, 2, 3, 10, 20, 30, 40, 252, 253, 254, 255}) {
    bytes.push_back(static_cast<char>(v));
  }
  return bytes;
}

void write_gz(const fs::path& path, const std::string& bytes) {
  gzFile gz = gzopen(path.c_str(), "wb");
  ASSERT_NE(gz, nullptr);
  ASSERT_EQ(gzwrite(gz, bytes.data(), static_cast<unsigned>(bytes.size())),
            static_cast<int>(bytes.size()));
  ASSERT_EQ(gzclose(gz), Z_OK);
}

class Idx : public TempDirTest {};

TEST_F(Idx, PlainAndGzippedLoadTheSameValues) {
  const fs::path plain = write("tiny-idx3-ubyte", tiny_idx());
  const fs::path gz = dir_ / "tiny-idx3-ubyte.gz";
  write_gz(gz, tiny_idx());
  const Matrix a = io::load_idx(plain);
  const Matrix b = io::load_idx(gz);
  ASSERT_EQ(a.rows, 3);
  ASSERT_EQ(a.cols, 4);
  EXPECT_EQ(a.data, (std::vector<double>{0, 1, 2, 3, 10, 20, 30, 40, 252, 253, 254, 255}));
  EXPECT_EQ(b.rows, a.rows);
  EXPECT_EQ(b.cols, a.cols);
  EXPECT_EQ(b.data, a.data);
  EXPECT_EQ(io::load_source(gz.string()).data, a.data);
  EXPECT_EQ(io::load_source("idx:" + plain.string()).data, a.data);
}

TEST_F(Idx, WiderTypesAreBigEndian) {
  // 1-D int16 (0x0B) and 2-D double (0x0E) arrays.
  std::string shorts = std::string("\x00\x00\x0B\x01", 4) + be32(3);
  shorts += std::string("\xFF\xFE\x01\x00\x00\x07", 6);  // -2, 256, 7
  const Matrix s = io::load_idx(write("s.idx", shorts));
  ASSERT_EQ(s.rows, 3);
  ASSERT_EQ(s.cols, 1);
  EXPECT_EQ(s.data, (std::vector<double>{-2, 256, 7}));

  std::string doubles = std::string("\x00\x00\x0E\x02", 4) + be32(1) + be32(2);
  for (const double v : {-0.375, 1e10}) {
    const auto bits = std::bit_cast<std::uint64_t>(v);
    for (int k = 7; k >= 0; --k) doubles.push_back(static_cast<char>((bits >> (8 * k)) & 0xff));
  }
  const Matrix d = io::load_idx(write("d.idx", doubles));
  EXPECT_EQ(d.data, (std::vector<double>{-0.375, 1e10}));
}

TEST_F(Idx, TruncatedPayloadThrowsWithOffset) {
  std::string bytes = tiny_idx();
  bytes.pop_back();
  const fs::path plain = write("cut-idx3-ubyte", bytes);
  const std::string message = error_message([&] { io::load_idx(plain); });
  EXPECT_NE(message.find(plain.string()), std::string::npos) << message;
  EXPECT_NE(message.find("truncated"), std::string::npos) << message;
  EXPECT_NE(message.find("offset 27"), std::string::npos) << message;
  EXPECT_THROW(io::load_idx(plain), InputError);

  const fs::path gz = dir_ / "cut-idx3-ubyte.gz";
  write_gz(gz, bytes);
  EXPECT_THROW(io::load_idx(gz), InputError);

  EXPECT_THROW(io::load_idx(write("header-idx", tiny_idx().substr(0, 10))), InputError);
  EXPECT_THROW(io::load_idx(write("extra-idx", tiny_idx() + "x")), InputError);
}

TEST_F(Idx, BadMagicEmptyAndMissingThrow) {
  std::string bytes = tiny_idx();
  bytes[0] = '\x01';
  const fs::path bad = write("bad-idx3-ubyte", bytes);
  const std::string message = error_message([&] { io::load_idx(bad); });
  EXPECT_NE(message.find(bad.string()), std::string::npos) << message;
  EXPECT_NE(message.find("magic"), std::string::npos) << message;
  EXPECT_THROW(io::load_idx(bad), InputError);

  bytes = tiny_idx();
  bytes[2] = '\x07';  // no such element type
  EXPECT_THROW(io::load_idx(write("type-idx", bytes)), InputError);
  EXPECT_THROW(io::load_idx(write("empty-idx", "")), InputError);
  EXPECT_THROW(io::load_idx(dir_ / "missing-idx"), InputError);
}

TEST(FashionMnist, TrainingSetHas60000ImagesOf784Pixels) {
  const fs::path dir = "/usr/share/datasets/fashion-mnist";
  const fs::path images = dir / "train-images-idx3-ubyte.gz";
  const fs::path labels = dir / "train-labels-idx1-ubyte.gz";
  if (!fs::exists(images) || !fs::exists(labels)) {
    GTEST_SKIP() << "Fashion-MNIST not found in " << dir << "; skipping";
  }
  const Matrix x = io::load_idx(images);
  ASSERT_EQ(x.rows, 60000);
  ASSERT_EQ(x.cols, 784);
  const auto [lo, hi] = std::minmax_element(x.data.begin(), x.data.end());
  EXPECT_EQ(*lo, 0.0);
  EXPECT_EQ(*hi, 255.0);
  const Matrix y = io::load_idx(labels);
  ASSERT_EQ(y.rows, 60000);
  ASSERT_EQ(y.cols, 1);
  for (const double v : y.data) ASSERT_TRUE(v >= 0.0 && v <= 9.0 && v == std::floor(v)) << v;
}

// ---------------------------------------------------------------- HDF5

class H5 : public TempDirTest {
 protected:
  // /grp/x: 3x2 doubles, /v: 1-D ints, /s: strings, /cube: 2x2x2 doubles.
  fs::path make_file() const {
    const fs::path path = dir_ / "data.h5";
    const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    EXPECT_GE(file, 0);
    const hid_t grp = H5Gcreate2(file, "/grp", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);

    const hsize_t dims2[2] = {3, 2};
    const double x[6] = {1.5, -2.0, 0.0, 1e-300, 7.0, 8.25};
    write_dataset(file, "/grp/x", H5T_NATIVE_DOUBLE, 2, dims2, x);

    const hsize_t dims1[1] = {4};
    const int v[4] = {3, -1, 4, 1};
    write_dataset(file, "/v", H5T_NATIVE_INT, 1, dims1, v);

    const hid_t str = H5Tcopy(H5T_C_S1);
    H5Tset_size(str, 4);
    const char s[2][4] = {{'a', 'b', 'c', 'd'}, {'e', 'f', 'g', 'h'}};
    const hsize_t dims_s[1] = {2};
    write_dataset(file, "/s", str, 1, dims_s, s);
    H5Tclose(str);

    const hsize_t dims3[3] = {2, 2, 2};
    const double cube[8] = {};
    write_dataset(file, "/cube", H5T_NATIVE_DOUBLE, 3, dims3, cube);

    H5Gclose(grp);
    H5Fclose(file);
    return path;
  }

  static void write_dataset(hid_t file, const char* name, hid_t type, int rank,
                            const hsize_t* dims, const void* values) {
    const hid_t space = H5Screate_simple(rank, dims, nullptr);
    const hid_t set = H5Dcreate2(file, name, type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    EXPECT_GE(set, 0) << name;
    EXPECT_GE(H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, values), 0) << name;
    H5Dclose(set);
    H5Sclose(space);
  }
};

TEST_F(H5, LoadsTwoAndOneDimensionalDatasets) {
  const fs::path path = make_file();
  const Matrix x = io::load_h5(path, "/grp/x");
  ASSERT_EQ(x.rows, 3);
  ASSERT_EQ(x.cols, 2);
  EXPECT_EQ(x.data, (std::vector<double>{1.5, -2.0, 0.0, 1e-300, 7.0, 8.25}));
  EXPECT_EQ(io::load_source("h5:" + path.string() + ":/grp/x").data, x.data);

  const Matrix v = io::load_h5(path, "/v");
  ASSERT_EQ(v.rows, 4);
  ASSERT_EQ(v.cols, 1);
  EXPECT_EQ(v.data, (std::vector<double>{3, -1, 4, 1}));
}

TEST_F(H5, MissingDatasetOrFileNamesTheDataset) {
  const fs::path path = make_file();
  const std::string message = error_message([&] { io::load_h5(path, "/grp/nope"); });
  EXPECT_NE(message.find("/grp/nope"), std::string::npos) << message;
  EXPECT_NE(message.find(path.string()), std::string::npos) << message;
  EXPECT_THROW(io::load_h5(path, "/grp/nope"), H5Error);
  EXPECT_THROW(io::load_h5(path, "/nogroup/x"), H5Error);
  EXPECT_THROW(io::load_h5(path, "/grp"), H5Error);  // a group, not a dataset

  const fs::path missing = dir_ / "missing.h5";
  const std::string missing_message = error_message([&] { io::load_h5(missing, "/grp/x"); });
  EXPECT_NE(missing_message.find("/grp/x"), std::string::npos) << missing_message;
  EXPECT_NE(missing_message.find(missing.string()), std::string::npos) << missing_message;
  EXPECT_THROW(io::load_h5(missing, "/grp/x"), InputError);
}

TEST_F(H5, NonNumericAndThreeDimensionalDatasetsThrow) {
  const fs::path path = make_file();
  const std::string text_message = error_message([&] { io::load_h5(path, "/s"); });
  EXPECT_NE(text_message.find("not numeric"), std::string::npos) << text_message;
  EXPECT_THROW(io::load_h5(path, "/s"), H5Error);
  const std::string cube_message = error_message([&] { io::load_h5(path, "/cube"); });
  EXPECT_NE(cube_message.find("rank 3"), std::string::npos) << cube_message;
  EXPECT_THROW(io::load_h5(path, "/cube"), H5Error);

  const fs::path not_h5 = write("fake.h5", "not an hdf5 file\n");
  EXPECT_THROW(io::load_h5(not_h5, "/x"), H5Error);
}

TEST_F(H5, SourceSpecsNeedADataset) {
  const fs::path path = make_file();
  EXPECT_THROW(io::load_source(path.string()), ConfigError);
  EXPECT_THROW(io::load_source("h5:" + path.string()), ConfigError);
  EXPECT_THROW(io::load_source("h5:" + path.string() + ":"), ConfigError);
}

// ---------------------------------------------------------------- preprocessing

Matrix numbered_rows(std::int64_t n) {
  Matrix m(n, 2);
  for (std::int64_t i = 0; i < n; ++i) {
    m(i, 0) = static_cast<double>(i);
    m(i, 1) = 1.0;
  }
  return m;
}

std::vector<std::int64_t> kept_rows(const Matrix& m) {
  std::vector<std::int64_t> ids;
  for (std::int64_t i = 0; i < m.rows; ++i) ids.push_back(static_cast<std::int64_t>(m(i, 0)));
  return ids;
}

TEST(Preprocess, ScalePixelsMapsZeroAndMaxToMinusOneAndOne) {
  Matrix m(1, 3);
  m.data = {0.0, 127.5, 255.0};
  io::Preprocess options;
  options.scale_pixels = true;
  const Matrix s = io::preprocess(m, options);
  EXPECT_EQ(s.data, (std::vector<double>{-1.0, 0.0, 1.0}));
}

TEST(Preprocess, ProjectToSphereGivesUnitRows) {
  Matrix m(3, 3);
  m.data = {3.0, 4.0, 0.0, -1e-3, 2e-3, 5e-4, 250.0, 1.0, 17.0};
  io::Preprocess options;
  options.project_to_sphere = true;
  const Matrix p = io::preprocess(m, options);
  for (std::int64_t i = 0; i < p.rows; ++i) {
    const double norm = std::sqrt(p(i, 0) * p(i, 0) + p(i, 1) * p(i, 1) + p(i, 2) * p(i, 2));
    EXPECT_NEAR(norm, 1.0, 1e-14);
  }
  EXPECT_DOUBLE_EQ(p(0, 0), 0.6);

  Matrix zero(2, 2);
  zero.data = {1.0, 0.0, 0.0, 0.0};
  EXPECT_THROW(io::preprocess(zero, options), InputError);
}

TEST(Preprocess, SeededSubsetIsDeterministicSortedAndDistinct) {
  const Matrix data = numbered_rows(1000);
  io::Preprocess options;
  options.subset = 50;
  options.subset_seed = 11;
  const auto a = kept_rows(io::preprocess(data, options));
  const auto b = kept_rows(io::preprocess(data, options));
  options.subset_seed = 12;
  const auto c = kept_rows(io::preprocess(data, options));
  ASSERT_EQ(a.size(), 50u);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  for (const auto* ids : {&a, &c}) {
    EXPECT_TRUE(std::is_sorted(ids->begin(), ids->end()));
    EXPECT_EQ(std::adjacent_find(ids->begin(), ids->end()), ids->end()) << "repeated row";
    EXPECT_GE(ids->front(), 0);
    EXPECT_LT(ids->back(), 1000);
  }
  // Rows are copied whole.
  const Matrix subset = io::preprocess(data, options);
  for (std::int64_t i = 0; i < subset.rows; ++i) EXPECT_EQ(subset(i, 1), 1.0);
}

TEST(Preprocess, SubsetOfAllRowsKeepsTheOrderAndTooLargeThrows) {
  const Matrix data = numbered_rows(20);
  io::Preprocess options;
  options.subset = 20;
  options.subset_seed = 3;
  EXPECT_EQ(io::preprocess(data, options).data, data.data);
  options.subset = 21;
  EXPECT_THROW(io::preprocess(data, options), ConfigError);
  options.subset = -1;
  EXPECT_THROW(io::preprocess(data, options), ConfigError);
}

TEST(Preprocess, SubsetComesBeforeScalingAndProjection) {
  const Matrix data = numbered_rows(30);
  io::Preprocess options;
  options.subset = 5;
  options.subset_seed = 7;
  const auto ids = kept_rows(io::preprocess(data, options));
  options.scale_pixels = true;
  options.project_to_sphere = true;
  const Matrix p = io::preprocess(data, options);
  ASSERT_EQ(p.rows, 5);
  for (std::int64_t i = 0; i < p.rows; ++i) {
    const double x = static_cast<double>(ids[static_cast<std::size_t>(i)]) / 127.5 - 1.0;
    const double y = 1.0 / 127.5 - 1.0;
    const double norm = std::sqrt(x * x + y * y);
    EXPECT_NEAR(p(i, 0), x / norm, 1e-15);
    EXPECT_NEAR(p(i, 1), y / norm, 1e-15);
  }
}

// ---------------------------------------------------------------- special files and absurd values

class SpecialFiles : public TempDirTest {
 protected:
  fs::path make_fifo(const std::string& name) const {
    const fs::path path = dir_ / name;
    EXPECT_EQ(::mkfifo(path.c_str(), 0600), 0) << path;
    return path;
  }
};

void expect_input_error_containing(const std::function<void()>& load, const std::string& part) {
  const std::string message = error_message(load);
  EXPECT_NE(message.find(part), std::string::npos) << message;
  EXPECT_THROW(load(), InputError);
}

TEST_F(SpecialFiles, FifoWithNoWriterIsRefusedByEveryLoader) {
  const test::BoundedTime bound(20);  // a blocking open would never return
  const fs::path fifo = make_fifo("pipe");
  const std::string f = fifo.string();
  expect_input_error_containing([&] { io::load_text(fifo); }, "FIFO");
  expect_input_error_containing([&] { io::load_idx(fifo); }, "FIFO");
  expect_input_error_containing([&] { io::load_h5(fifo, "W"); }, "FIFO");
  expect_input_error_containing([&] { io::load_feature_map(fifo); }, "FIFO");
  expect_input_error_containing([&] { io::load_source("text:" + f); }, "FIFO");
  expect_input_error_containing([&] { io::check_source("idx:" + f); }, "FIFO");
  expect_input_error_containing([&] { io::check_source("h5:" + f + ":W"); }, "FIFO");
  expect_input_error_containing([&] { io::read_regular_file(fifo, 1024); }, "FIFO");
}

TEST_F(SpecialFiles, DevicesAndDirectoriesAreRefused) {
  const test::BoundedTime bound(20);  // a blocking open would never return
  if (!fs::exists("/dev/zero")) GTEST_SKIP() << "/dev/zero not available";
  expect_input_error_containing([] { io::load_text("/dev/zero"); }, "character device");
  expect_input_error_containing([] { io::load_idx("/dev/zero"); }, "character device");
  expect_input_error_containing([] { io::load_h5("/dev/zero", "W"); }, "character device");
  expect_input_error_containing([&] { io::load_text(dir_); }, "directory");
  expect_input_error_containing([&] { io::load_idx(dir_); }, "directory");
  expect_input_error_containing([&] { io::check_source("h5:" + dir_.string() + ":W"); },
                                "directory");
  expect_input_error_containing([] { io::load_text("/nonexistent/hopcap/x.txt"); }, "not found");
}

TEST_F(SpecialFiles, TextLargerThanTheLimitIsRefusedBeforeReading) {
  const test::BoundedTime bound(20);  // a blocking open would never return
  const fs::path big = write("big.txt", "1 2\n");
  fs::resize_file(big, io::kMaxTextFileBytes + 1);  // sparse: costs no disk
  expect_input_error_containing([&] { io::load_text(big); }, "limit");
  // A file the size check cannot see (it grows, or /proc reports 0) is cut off while reading.
  expect_input_error_containing([&] { io::read_regular_file(write("small.txt", "12345"), 4); },
                                "limit");
  EXPECT_EQ(io::read_regular_file(write("exact.txt", "1234"), 4), "1234");
}

TEST_F(SpecialFiles, GzipStreamWithoutItsTrailerIsRefused) {
  const fs::path whole = dir_ / "whole-idx3-ubyte.gz";
  write_gz(whole, tiny_idx());
  ASSERT_EQ(io::load_idx(whole).rows, 3);
  std::ifstream in(whole, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_GT(bytes.size(), 8u);
  // Without the 8-byte trailer (CRC-32, length) every payload byte still decompresses.
  const fs::path no_trailer = write("no-trailer-idx3-ubyte.gz", bytes.substr(0, bytes.size() - 8));
  expect_input_error_containing([&] { io::load_idx(no_trailer); }, "truncated gzip stream");
  const fs::path half = write("half-idx3-ubyte.gz", bytes.substr(0, bytes.size() - 4));
  expect_input_error_containing([&] { io::load_idx(half); }, "truncated gzip stream");
  EXPECT_THROW(io::check_source("idx:" + no_trailer.string()), InputError);
}

TEST_F(SpecialFiles, RowsWhoseSquaredNormOverflowsAreRefusedAtLoad) {
  const fs::path huge = write("huge.txt", "1e300 0 0\n0 1e300 0\n0 0 1e300\n");
  expect_input_error_containing([&] { io::load_source("text:" + huge.string()); },
                                "squared norm overflows");
  EXPECT_THROW(io::check_source("text:" + huge.string()), InputError);
  const fs::path beyond = write("beyond.txt", "1 1e400\n");
  expect_input_error_containing([&] { io::load_text(beyond); }, "outside the range of a double");
  const fs::path tiny = write("tiny.txt", "1 1e-400\n");
  expect_input_error_containing([&] { io::load_text(tiny); }, "outside the range of a double");
  // Large but representable: loads unchanged.
  const fs::path large = write("large.txt", "1e13 0 0\n0 1e13 0\n0 0 1e13\n");
  const Matrix m = io::load_source("text:" + large.string());
  EXPECT_EQ(m.data, (std::vector<double>{1e13, 0, 0, 0, 1e13, 0, 0, 0, 1e13}));
}

TEST_F(SpecialFiles, CheckedSourceIsCheckedAgainAfterItsFileChanges) {
  const fs::path path = write("grows.txt", "1 0\n0 1\n");
  const std::string spec = "text:" + path.string();
  io::check_source(spec);
  io::check_source(spec);  // unchanged: passes again without reading
  write("grows.txt", "1 0\n0 1\nnot 1\n");
  expect_input_error_containing([&] { io::check_source(spec); }, "non-numeric");
}

TEST_F(H5, CheckReadsTheShapeWithoutTheValues) {
  const fs::path path = make_file();
  EXPECT_EQ(io::check_h5(path, "/grp/x"), (std::pair<std::int64_t, std::int64_t>{3, 2}));
  EXPECT_EQ(io::check_h5(path, "/v"), (std::pair<std::int64_t, std::int64_t>{4, 1}));
  EXPECT_THROW(io::check_h5(path, "/s"), H5Error);
  EXPECT_THROW(io::check_h5(path, "/cube"), H5Error);
  EXPECT_THROW(io::check_h5(path, "/missing"), H5Error);
  const fs::path text = write("passwd", "root:x:0:0:root:/root:/bin/sh\n");
  EXPECT_THROW(io::check_source("h5:" + text.string() + ":W"), H5Error);
}

TEST(LoadSource, UnknownOrEmptyPathsThrow) {
  EXPECT_THROW(io::load_source(""), ConfigError);
  EXPECT_THROW(io::load_source("text:"), ConfigError);
  EXPECT_THROW(io::load_source("/nonexistent/hopcap/file.txt"), InputError);
  EXPECT_THROW(io::load_source("idx:/nonexistent/hopcap/file-idx3-ubyte"), InputError);
}

}  // namespace
}  // namespace hopcap
