// pg::transaction sends BEGIN with the body's first statement and COMMIT with the writes the
// body deferred, in one round trip each (libpq's pipeline mode). What must hold whatever travels
// together: every write commits or none does, an error is thrown with its code by the call that
// sent it, the statements after a failed one do not run, and the connection goes back to the
// pool fit for the next borrower. Against the throw-away cluster of tests/support.

#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"
#include "store/postgres/pg_connection.hpp"
#include "support/pg_test_server.hpp"

namespace rendermart {
namespace {

using pg::Connection;

// One connection, so that every transaction below runs on the connection the one before it
// left behind.
class PgTransactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pool_ = std::make_unique<pg::Pool>(testing::pg_test_server().create_database(), 1);
    pg::transaction(*pool_, [](Connection& db) {
      db.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
    });
  }

  std::int64_t count(const std::string& where = "true") {
    return pg::transaction(*pool_, [&](Connection& db) {
      return db.query("SELECT COUNT(*) FROM notes WHERE " + where).int64(0, 0);
    });
  }

  std::unique_ptr<pg::Pool> pool_;
};

const std::string kInsert = "INSERT INTO notes (id, body) VALUES ($1, $2)";

TEST_F(PgTransactionTest, DeferredWritesCommitWithTheTransaction) {
  const auto seen = pg::transaction(*pool_, [](Connection& db) {
    db.defer(kInsert, 1, "first");
    // A query sends what was deferred before it, and sees it.
    const auto rows = db.query("SELECT COUNT(*) FROM notes").int64(0, 0);
    db.defer(kInsert, 2, "second");
    db.defer(kInsert, 3, "third");  // the same statement twice in one batch
    return rows;
  });
  EXPECT_EQ(seen, 1);
  EXPECT_EQ(count(), 3);
}

TEST_F(PgTransactionTest, AFailedDeferredWriteThrowsItsCodeAndUndoesTheWholeTransaction) {
  pg::transaction(*pool_, [](Connection& db) { db.defer(kInsert, 1, "kept"); });
  try {
    pg::transaction(*pool_, [](Connection& db) {
      db.query("UPDATE notes SET body = 'changed' WHERE id = 1");
      db.defer(kInsert, 2, "undone");
      db.defer(kInsert, 1, "duplicate");  // a unique violation
      db.defer("UPDATE notes SET body = 'never' WHERE id = 1");
    });
    FAIL() << "the duplicate key was accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.code(), ErrorCode::conflict) << error.what();
  }
  EXPECT_EQ(count(), 1);
  EXPECT_EQ(count("body = 'kept'"), 1);
  // The pool's only connection is fit for use again.
  pg::transaction(*pool_, [](Connection& db) { db.defer(kInsert, 2, "after"); });
  EXPECT_EQ(count(), 2);
}

TEST_F(PgTransactionTest, AFailedFirstStatementRollsBackAndLeavesTheConnectionUsable) {
  EXPECT_THROW(
      pg::transaction(*pool_, [](Connection& db) { db.query("SELECT no_such_column FROM notes"); }),
      Error);
  pg::transaction(*pool_, [](Connection& db) { db.defer(kInsert, 1, "after"); });
  EXPECT_EQ(count(), 1);
}

TEST_F(PgTransactionTest, ABodyThatThrowsSendsNothingItDeferred) {
  EXPECT_THROW(pg::transaction(*pool_,
                               [](Connection& db) {
                                 db.defer(kInsert, 1, "never sent");
                                 throw Error(ErrorCode::internal, "the body gave up");
                               }),
               Error);
  EXPECT_EQ(count(), 0);
}

TEST_F(PgTransactionTest, ATransactionThatRunsNothingReturnsItsValue) {
  EXPECT_EQ(pg::transaction(*pool_, [](Connection&) { return 7; }), 7);
  EXPECT_EQ(count(), 0);
}

TEST_F(PgTransactionTest, StatementsPreparedInABatchThatFailedArePreparedAgain) {
  // The batch fails at its first statement: the insert's preparation never ran on the server.
  EXPECT_THROW(pg::transaction(*pool_,
                               [](Connection& db) {
                                 db.defer("SELECT no_such_column FROM notes");
                                 db.defer(kInsert, 1, "skipped");
                               }),
               Error);
  pg::transaction(*pool_, [](Connection& db) { db.defer(kInsert, 1, "prepared now"); });
  EXPECT_EQ(count("body = 'prepared now'"), 1);
}

}  // namespace
}  // namespace rendermart
