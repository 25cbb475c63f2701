#include "vault/sqlite_connection.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "core/testing/temp_dir.h"

namespace kura::vault::sqlite {
namespace {

// "SELECT '<middle>' AS <padding>": long statements that share their first
// and last bytes and their length, and differ only in `middle`.
std::string LongSelect(char middle) {
  return "SELECT 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" +
         std::string(1, middle) +
         "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' AS "
         "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";
}

TEST(ConnectionTest, StatementsDifferingOnlyInTheMiddleAreCachedApart) {
  testing::TempDir dir;
  std::ofstream(dir.Sub("t.db")).flush();  // Open never creates the file
  Result<std::unique_ptr<Connection>> c = Connection::Open(dir.Sub("t.db"), 1000);
  ASSERT_TRUE(c.ok()) << c.status().message();
  for (int round = 0; round < 2; ++round) {  // the second round hits the cache
    for (char middle : {'x', 'y'}) {
      const std::string sql = LongSelect(middle);
      ASSERT_GT(sql.size(), 200u);
      Result<Statement> st = (*c)->Prepare(sql, "test");
      ASSERT_TRUE(st.ok()) << st.status().message();
      ASSERT_TRUE(*st->Step());
      EXPECT_NE(st->ColumnText(0).find(middle), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace kura::vault::sqlite
