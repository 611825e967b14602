// The error path's text: every message reaches the user as exactly one line.
#include <gtest/gtest.h>

#include "hopcap/error.hpp"

TEST(OneLine, LineBreaksAndControlCharactersBecomeSpaces) {
  EXPECT_EQ(hopcap::one_line("cannot open 'x.h5' (HDF5: opened Tue Dec  1 22:00:00 2026\n)"),
            "cannot open 'x.h5' (HDF5: opened Tue Dec  1 22:00:00 2026 )");
  EXPECT_EQ(hopcap::one_line("a\r\nb\tc\x7f" "d\n\n"), "a  b c d");
  EXPECT_EQ(hopcap::one_line(""), "");
  EXPECT_EQ(hopcap::one_line("plain"), "plain");
}
