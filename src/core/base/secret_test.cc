#include "core/base/secret.h"

#include <gtest/gtest.h>

namespace kura {
namespace {

TEST(SecretBytesTest, MoveLeavesSourceEmpty) {
  SecretBytes a = SecretBytes::FromString("key-material");
  SecretBytes b = std::move(a);
  EXPECT_TRUE(a.empty());  // NOLINT(bugprone-use-after-move): checking the contract
  EXPECT_EQ(b.view(), "key-material");
}

TEST(SecretBytesTest, WipeEmptiesAndCloneIsDeep) {
  SecretBytes a = SecretBytes::FromString("abc");
  SecretBytes c = a.Clone();
  a.Wipe();
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(c.view(), "abc");
}

TEST(SecretBytesTest, ResizeKeepsPrefix) {
  SecretBytes a = SecretBytes::FromString("abcdef");
  a.Resize(3);
  EXPECT_EQ(a.view(), "abc");
  a.Resize(4);
  EXPECT_EQ(a.size(), 4u);
  EXPECT_EQ(a[3], 0);
}

TEST(SecureZeroTest, ZeroesBuffer) {
  char buf[8] = {'s', 'e', 'c', 'r', 'e', 't', '!', '!'};
  SecureZero(buf, sizeof buf);
  for (char c : buf) EXPECT_EQ(c, 0);
}

}  // namespace
}  // namespace kura
