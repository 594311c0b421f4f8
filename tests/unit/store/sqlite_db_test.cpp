// The RAII layer over SQLite: binding, reading, error codes, statement reuse and transactions.

#include <gtest/gtest.h>

#include <optional>

#include "core/error.hpp"
#include "store/sqlite/sqlite_db.hpp"

namespace rendermart::sqlite {
namespace {

class SqliteDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE, score REAL, note TEXT)");
  }

  std::int64_t count() {
    Query q = db_.query("SELECT COUNT(*) FROM t");
    EXPECT_TRUE(q.step());
    return q.int64(0);
  }

  Database db_{":memory:"};
};

TEST_F(SqliteDbTest, BindsAndReadsEveryType) {
  const std::optional<std::string> no_note;
  db_.query("INSERT INTO t (id, name, score, note) VALUES (?1, ?2, ?3, ?4)", 5'000'000'000LL,
            std::string("n\0ul", 4), 2.5, no_note)
      .run();
  db_.query("INSERT INTO t (id, name, score, note) VALUES (?1, ?2, ?3, ?4)", true, "lit", 1,
            std::optional<std::string>("x"))
      .run();

  Query q = db_.query("SELECT id, name, score, note FROM t ORDER BY id DESC");
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.int64(0), 5'000'000'000LL);
  EXPECT_EQ(q.text(1), std::string("n\0ul", 4));
  EXPECT_DOUBLE_EQ(q.real(2), 2.5);
  EXPECT_TRUE(q.is_null(3));
  EXPECT_EQ(q.text(3), "");
  EXPECT_FALSE(q.optional_int64(3));
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.integer(0), 1);
  EXPECT_EQ(q.text(1), "lit");
  EXPECT_EQ(q.text(3), "x");
  EXPECT_FALSE(q.step());
}

TEST_F(SqliteDbTest, RunReportsChangedRows) {
  db_.query("INSERT INTO t (name) VALUES ('a'), ('b'), ('c')").run();
  EXPECT_EQ(db_.query("UPDATE t SET score = 1 WHERE name <> ?1", "a").run(), 2);
}

TEST_F(SqliteDbTest, UniqueViolationIsAConflict) {
  db_.query("INSERT INTO t (name) VALUES ('a')").run();
  try {
    db_.query("INSERT INTO t (name) VALUES ('a')").run();
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::conflict);
  }
}

TEST_F(SqliteDbTest, BadSqlIsInternal) {
  try {
    db_.query("SELEKT 1");
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::internal);
    EXPECT_NE(std::string(error.what()).find("SELEKT"), std::string::npos);
  }
  EXPECT_THROW(db_.query("SELECT 1; SELECT 2"), Error);
}

TEST_F(SqliteDbTest, CachedStatementIsReusedAfterRelease) {
  for (int i = 0; i < 3; ++i) {
    db_.query("INSERT INTO t (name) VALUES (?1)", "n" + std::to_string(i)).run();
  }
  EXPECT_EQ(count(), 3);
  Query held = db_.query("SELECT name FROM t ORDER BY name");
  ASSERT_TRUE(held.step());
  EXPECT_THROW(db_.query("SELECT name FROM t ORDER BY name"), Error);  // borrowed already
}

TEST_F(SqliteDbTest, ReleasedStatementStartsAfresh) {
  db_.query("INSERT INTO t (name) VALUES ('a'), ('b')").run();
  {
    Query q = db_.query("SELECT name FROM t WHERE name = ?1", "a");
    ASSERT_TRUE(q.step());  // abandoned mid-way: the release resets it
  }
  Query q = db_.query("SELECT name FROM t WHERE name = ?1");
  EXPECT_FALSE(q.step());  // bindings were cleared: NULL matches nothing
}

TEST_F(SqliteDbTest, TransactionRollsBackUnlessCommitted) {
  {
    Transaction transaction(db_, TransactionMode::immediate);
    db_.query("INSERT INTO t (name) VALUES ('kept')").run();
    transaction.commit();
  }
  try {
    Transaction transaction(db_, TransactionMode::immediate);
    db_.query("INSERT INTO t (name) VALUES ('dropped')").run();
    db_.query("INSERT INTO t (name) VALUES ('kept')").run();  // conflict: throws
    transaction.commit();
  } catch (const Error&) {
  }
  EXPECT_FALSE(db_.in_transaction());
  EXPECT_EQ(count(), 1);
}

TEST(SqliteDbOpen, UnopenableFileIsUnavailable) {
  try {
    Database db("/nonexistent-directory-for-rendermart/x.db");
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::unavailable);
    EXPECT_NE(std::string(error.what()).find("/nonexistent-directory-for-rendermart"),
              std::string::npos);
  }
}

}  // namespace
}  // namespace rendermart::sqlite
