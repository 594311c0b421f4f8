#include "store/migrations.hpp"

#include <array>

namespace rendermart {
namespace {

// Conventions: times are INTEGER milliseconds since the epoch (Millis); ids are the
// time-ordered text ids of core/ids.hpp, so `ORDER BY id` is creation order and keyset
// pagination needs only an index on (owner, id); booleans are INTEGER 0/1.
constexpr std::string_view kInitialSchemaSqlite = R"sql(
-- E-mails are stored lower-cased; NOCASE (ASCII case folding) also keeps a differently-cased
-- duplicate out if a caller forgets.
CREATE TABLE users (
  id            TEXT PRIMARY KEY,
  email         TEXT NOT NULL COLLATE NOCASE UNIQUE,
  password_hash TEXT NOT NULL,
  is_admin      INTEGER NOT NULL DEFAULT 0,
  created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
  token_hash TEXT PRIMARY KEY,
  user_id    TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_expires ON sessions(expires_at);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_keys (
  id           TEXT PRIMARY KEY,
  user_id      TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  prefix       TEXT NOT NULL,
  secret_hash  TEXT NOT NULL UNIQUE,
  created_at   INTEGER NOT NULL,
  last_used_at INTEGER
);
CREATE INDEX api_keys_user ON api_keys(user_id, id);

CREATE TABLE preferences (
  user_id         TEXT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  model           TEXT NOT NULL,
  style           TEXT NOT NULL,
  width           INTEGER NOT NULL,
  height          INTEGER NOT NULL,
  negative_prompt TEXT NOT NULL,
  theme           TEXT NOT NULL
);

-- Parameters are columns, not a JSON blob, so that they can be filtered and indexed.
-- Invariant kept by the store: a queued job never has cancel_requested set (a cancel request
-- on a queued job cancels it at once), and lease_owner is '' unless the job is running.
CREATE TABLE jobs (
  id               TEXT PRIMARY KEY,
  user_id          TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  prompt           TEXT NOT NULL,
  negative_prompt  TEXT NOT NULL,
  model            TEXT NOT NULL,
  style            TEXT NOT NULL,
  width            INTEGER NOT NULL,
  height           INTEGER NOT NULL,
  steps            INTEGER NOT NULL,
  cfg_scale        REAL NOT NULL,
  seed             INTEGER NOT NULL,
  count            INTEGER NOT NULL,
  status           TEXT NOT NULL
                   CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'canceled')),
  progress         REAL NOT NULL DEFAULT 0,
  attempts         INTEGER NOT NULL DEFAULT 0,
  error_code       TEXT NOT NULL DEFAULT '',
  error_message    TEXT NOT NULL DEFAULT '',
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  lease_owner      TEXT NOT NULL DEFAULT '',
  lease_expires_at INTEGER NOT NULL DEFAULT 0,
  created_at       INTEGER NOT NULL,
  started_at       INTEGER,
  finished_at      INTEGER
);
-- The queue in creation order: queue position and depth, the running jobs (expired leases).
CREATE INDEX jobs_status_created ON jobs(status, created_at, id);
-- The queue per user: a claim visits each queued user's oldest job (see SqliteStore::claim_job)
-- instead of every queued job, and counts each user's running jobs.
CREATE INDEX jobs_status_user ON jobs(status, user_id, created_at, id);
-- A user's jobs, newest first.
CREATE INDEX jobs_user ON jobs(user_id, id);

-- `seq` is an explicit INTEGER PRIMARY KEY because the full-text index refers to rows by rowid,
-- and VACUUM may renumber an implicit rowid. UNIQUE (job_id, idx) makes a second completion of
-- the same job unable to insert duplicates. A job with images cannot be deleted by accident
-- (NO ACTION); deleting the user removes both.
CREATE TABLE images (
  seq             INTEGER PRIMARY KEY,
  id              TEXT NOT NULL UNIQUE,
  user_id         TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  job_id          TEXT NOT NULL REFERENCES jobs(id),
  idx             INTEGER NOT NULL,
  prompt          TEXT NOT NULL,
  negative_prompt TEXT NOT NULL,
  model           TEXT NOT NULL,
  style           TEXT NOT NULL,
  width           INTEGER NOT NULL,
  height          INTEGER NOT NULL,
  steps           INTEGER NOT NULL,
  cfg_scale       REAL NOT NULL,
  seed            INTEGER NOT NULL,
  count           INTEGER NOT NULL,
  title           TEXT NOT NULL DEFAULT '',
  tags            TEXT NOT NULL DEFAULT '[]',  -- JSON array of strings
  favorite        INTEGER NOT NULL DEFAULT 0,
  blob_key        TEXT NOT NULL,
  bytes           INTEGER NOT NULL,
  sha256          TEXT NOT NULL,
  created_at      INTEGER NOT NULL,
  UNIQUE (job_id, idx)
);
-- A user's images, newest first: the gallery and its keyset pagination.
CREATE INDEX images_user ON images(user_id, id);

-- Full-text index over the searchable text, stored once (external content: the text stays in
-- `images`) and kept in step by the triggers below. unicode61 with diacritics removed lets
-- "cafe" find "Café". No prefix indexes: searches are prefix queries, but measured on typical
-- prompts they doubled the cost of indexing an image and barely changed the cost of a search.
-- The tags column holds JSON, whose punctuation the tokenizer drops.
CREATE VIRTUAL TABLE images_fts USING fts5(
  prompt, negative_prompt, title, tags,
  content = 'images', content_rowid = 'seq',
  tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER images_fts_insert AFTER INSERT ON images BEGIN
  INSERT INTO images_fts (rowid, prompt, negative_prompt, title, tags)
  VALUES (new.seq, new.prompt, new.negative_prompt, new.title, new.tags);
END;
CREATE TRIGGER images_fts_delete AFTER DELETE ON images BEGIN
  INSERT INTO images_fts (images_fts, rowid, prompt, negative_prompt, title, tags)
  VALUES ('delete', old.seq, old.prompt, old.negative_prompt, old.title, old.tags);
END;
-- Only when searchable text changes: marking a favorite leaves the index alone.
CREATE TRIGGER images_fts_update AFTER UPDATE OF prompt, negative_prompt, title, tags ON images
WHEN old.prompt IS NOT new.prompt OR old.negative_prompt IS NOT new.negative_prompt
  OR old.title IS NOT new.title OR old.tags IS NOT new.tags
BEGIN
  INSERT INTO images_fts (images_fts, rowid, prompt, negative_prompt, title, tags)
  VALUES ('delete', old.seq, old.prompt, old.negative_prompt, old.title, old.tags);
  INSERT INTO images_fts (rowid, prompt, negative_prompt, title, tags)
  VALUES (new.seq, new.prompt, new.negative_prompt, new.title, new.tags);
END;
)sql";
// Conventions as in SQLite: times are BIGINT milliseconds since the epoch (Millis); ids are the
// time-ordered text ids of core/ids.hpp, so `ORDER BY id` is creation order and keyset
// pagination needs only an index on (owner, id). Text columns use COLLATE "C": ids and keys
// compare byte-wise, as in SQLite, whatever the database's locale.
constexpr std::string_view kInitialSchemaPostgres = R"sql(
-- Search: words as the default parser finds them, lower-cased, without diacritics (unaccent:
-- "cafe" finds "Café"), no stemming and no stop words ('simple'), like SQLite's unicode61.
-- unaccent is a trusted extension: the database owner may create it.
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE TEXT SEARCH CONFIGURATION rendermart_search (COPY = pg_catalog.simple);
ALTER TEXT SEARCH CONFIGURATION rendermart_search
  ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;

-- E-mails are stored lower-cased; the unique index on lower(email) also keeps a
-- differently-cased duplicate out if a caller forgets.
CREATE TABLE users (
  id            TEXT COLLATE "C" PRIMARY KEY,
  email         TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  is_admin      BOOLEAN NOT NULL DEFAULT false,
  created_at    BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (lower(email));

CREATE TABLE sessions (
  token_hash TEXT COLLATE "C" PRIMARY KEY,
  user_id    TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expires ON sessions(expires_at);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_keys (
  id           TEXT COLLATE "C" PRIMARY KEY,
  user_id      TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name         TEXT NOT NULL,
  prefix       TEXT NOT NULL,
  secret_hash  TEXT COLLATE "C" NOT NULL UNIQUE,
  created_at   BIGINT NOT NULL,
  last_used_at BIGINT
);
CREATE INDEX api_keys_user ON api_keys(user_id, id);

CREATE TABLE preferences (
  user_id         TEXT COLLATE "C" PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  model           TEXT NOT NULL,
  style           TEXT NOT NULL,
  width           INTEGER NOT NULL,
  height          INTEGER NOT NULL,
  negative_prompt TEXT NOT NULL,
  theme           TEXT NOT NULL
);

-- Invariant kept by the store: a queued job never has cancel_requested set (a cancel request
-- on a queued job cancels it at once), and lease_owner is '' unless the job is running.
CREATE TABLE jobs (
  id               TEXT COLLATE "C" PRIMARY KEY,
  user_id          TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  prompt           TEXT NOT NULL,
  negative_prompt  TEXT NOT NULL,
  model            TEXT NOT NULL,
  style            TEXT NOT NULL,
  width            INTEGER NOT NULL,
  height           INTEGER NOT NULL,
  steps            INTEGER NOT NULL,
  cfg_scale        DOUBLE PRECISION NOT NULL,
  seed             BIGINT NOT NULL,
  count            INTEGER NOT NULL,
  status           TEXT NOT NULL
                   CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'canceled')),
  progress         DOUBLE PRECISION NOT NULL DEFAULT 0,
  attempts         INTEGER NOT NULL DEFAULT 0,
  error_code       TEXT NOT NULL DEFAULT '',
  error_message    TEXT NOT NULL DEFAULT '',
  cancel_requested BOOLEAN NOT NULL DEFAULT false,
  lease_owner      TEXT NOT NULL DEFAULT '',
  lease_expires_at BIGINT NOT NULL DEFAULT 0,
  created_at       BIGINT NOT NULL,
  started_at       BIGINT,
  finished_at      BIGINT
);
-- The queue in creation order: queue position and depth, claims, expired leases.
CREATE INDEX jobs_status_created ON jobs(status, created_at, id);
-- Each user's running jobs, counted by a claim's fairness rule.
CREATE INDEX jobs_status_user ON jobs(status, user_id, created_at, id);
-- A user's jobs, newest first.
CREATE INDEX jobs_user ON jobs(user_id, id);

-- UNIQUE (job_id, idx) makes a second completion of the same job unable to insert duplicates.
-- A job with images cannot be deleted by accident (NO ACTION); deleting the user removes both.
-- `search` holds the searchable text's words, kept in step by PostgreSQL itself; tags are JSON,
-- whose punctuation the parser drops.
CREATE TABLE images (
  id              TEXT COLLATE "C" PRIMARY KEY,
  user_id         TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  job_id          TEXT COLLATE "C" NOT NULL REFERENCES jobs(id),
  idx             INTEGER NOT NULL,
  prompt          TEXT NOT NULL,
  negative_prompt TEXT NOT NULL,
  model           TEXT NOT NULL,
  style           TEXT NOT NULL,
  width           INTEGER NOT NULL,
  height          INTEGER NOT NULL,
  steps           INTEGER NOT NULL,
  cfg_scale       DOUBLE PRECISION NOT NULL,
  seed            BIGINT NOT NULL,
  count           INTEGER NOT NULL,
  title           TEXT NOT NULL DEFAULT '',
  tags            TEXT NOT NULL DEFAULT '[]',  -- JSON array of strings
  favorite        BOOLEAN NOT NULL DEFAULT false,
  blob_key        TEXT NOT NULL,
  bytes           BIGINT NOT NULL,
  sha256          TEXT NOT NULL,
  created_at      BIGINT NOT NULL,
  search          tsvector GENERATED ALWAYS AS (
                    to_tsvector('rendermart_search'::regconfig,
                                prompt || ' ' || negative_prompt || ' ' || title || ' ' || tags)
                  ) STORED,
  UNIQUE (job_id, idx)
);
-- A user's images, newest first: the gallery and its keyset pagination.
CREATE INDEX images_user ON images(user_id, id);
CREATE INDEX images_search ON images USING GIN (search);
)sql";

// Generation tasks on a source image (image to image, inpainting, outpainting, background
// removal) and the quality setting of cloud models. Existing rows are text-to-image. The source
// and mask are image ids without a foreign key: a generation keeps naming its source after the
// user deletes it.
constexpr std::string_view kGenerationTasksSqlite = R"sql(
ALTER TABLE jobs ADD COLUMN quality TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN task TEXT NOT NULL DEFAULT 'text_to_image';
ALTER TABLE jobs ADD COLUMN source_image_id TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN mask_image_id TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN strength REAL NOT NULL DEFAULT 0;
ALTER TABLE images ADD COLUMN quality TEXT NOT NULL DEFAULT '';
ALTER TABLE images ADD COLUMN task TEXT NOT NULL DEFAULT 'text_to_image';
ALTER TABLE images ADD COLUMN source_image_id TEXT NOT NULL DEFAULT '';
ALTER TABLE images ADD COLUMN mask_image_id TEXT NOT NULL DEFAULT '';
ALTER TABLE images ADD COLUMN strength REAL NOT NULL DEFAULT 0;
)sql";
constexpr std::string_view kGenerationTasksPostgres = R"sql(
ALTER TABLE jobs
  ADD COLUMN quality TEXT NOT NULL DEFAULT '',
  ADD COLUMN task TEXT NOT NULL DEFAULT 'text_to_image',
  ADD COLUMN source_image_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  ADD COLUMN mask_image_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  ADD COLUMN strength DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE images
  ADD COLUMN quality TEXT NOT NULL DEFAULT '',
  ADD COLUMN task TEXT NOT NULL DEFAULT 'text_to_image',
  ADD COLUMN source_image_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  ADD COLUMN mask_image_id TEXT COLLATE "C" NOT NULL DEFAULT '',
  ADD COLUMN strength DOUBLE PRECISION NOT NULL DEFAULT 0;
)sql";

// Single-use invitations to register (registration "invite"). An administrator's invitations
// go with their account; one used by a deleted account stays, used by no one. The indexes serve
// those deletions.
constexpr std::string_view kInvitationsSqlite = R"sql(
CREATE TABLE invitations (
  id         TEXT PRIMARY KEY,
  code_hash  TEXT NOT NULL UNIQUE,
  created_by TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  used_at    INTEGER,
  used_by    TEXT REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX invitations_created_by ON invitations(created_by);
CREATE INDEX invitations_used_by ON invitations(used_by);
)sql";
constexpr std::string_view kInvitationsPostgres = R"sql(
CREATE TABLE invitations (
  id         TEXT COLLATE "C" PRIMARY KEY,
  code_hash  TEXT NOT NULL UNIQUE,
  created_by TEXT COLLATE "C" NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  used_at    BIGINT,
  used_by    TEXT COLLATE "C" REFERENCES users(id) ON DELETE SET NULL
);
CREATE INDEX invitations_created_by ON invitations(created_by);
CREATE INDEX invitations_used_by ON invitations(used_by);
)sql";

// Limits: an administrator's per-user overrides (NULL: the server's default) and disabled
// accounts; the bytes of each image's thumbnails, counted in the user's stored bytes. The
// indexes let an admission count a user's jobs of the day and sum their bytes from the index
// alone.
constexpr std::string_view kLimitsSqlite = R"sql(
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN max_jobs_in_flight INTEGER;
ALTER TABLE users ADD COLUMN max_images_per_day INTEGER;
ALTER TABLE users ADD COLUMN max_stored_bytes INTEGER;
ALTER TABLE users ADD COLUMN max_requests_per_minute INTEGER;
ALTER TABLE users ADD COLUMN max_request_burst INTEGER;
ALTER TABLE images ADD COLUMN thumbnail_bytes INTEGER NOT NULL DEFAULT 0;
CREATE INDEX jobs_user_created ON jobs(user_id, created_at, status, count);
CREATE INDEX images_user_bytes ON images(user_id, bytes, thumbnail_bytes);
)sql";
constexpr std::string_view kLimitsPostgres = R"sql(
ALTER TABLE users
  ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT false,
  ADD COLUMN max_jobs_in_flight INTEGER,
  ADD COLUMN max_images_per_day INTEGER,
  ADD COLUMN max_stored_bytes BIGINT,
  ADD COLUMN max_requests_per_minute INTEGER,
  ADD COLUMN max_request_burst INTEGER;
ALTER TABLE images ADD COLUMN thumbnail_bytes BIGINT NOT NULL DEFAULT 0;
CREATE INDEX jobs_user_created ON jobs(user_id, created_at) INCLUDE (status, count);
CREATE INDEX images_user_bytes ON images(user_id) INCLUDE (bytes, thumbnail_bytes);
)sql";

// Fair claims look up when each user's last job started.
constexpr std::string_view kFairClaims = R"sql(
CREATE INDEX jobs_user_started ON jobs(user_id, started_at);
)sql";

// Request rates shared by the API processes on one database file: when each recently active
// user's allowance is whole again, and the last charge applied (an upsert reads the new one as
// excluded.charge_us). No foreign key: a charge for an account deleted meanwhile must not fail
// the others; the row is forgotten a minute after it is whole.
constexpr std::string_view kRequestRatesSqlite = R"sql(
CREATE TABLE request_rates (
  user_id    TEXT PRIMARY KEY,
  full_at_us INTEGER NOT NULL,
  charge_us  INTEGER NOT NULL
) WITHOUT ROWID;
)sql";
// Request rates shared by the API processes: when each recently active user's allowance is whole
// again, and the last charge applied (an upsert reads the new one as excluded.charge_us). No
// foreign key: a charge for an account deleted meanwhile must not fail the others; the row is
// forgotten a minute after it is whole.
constexpr std::string_view kRequestRatesPostgres = R"sql(
CREATE TABLE request_rates (
  user_id    TEXT PRIMARY KEY,
  full_at_us BIGINT NOT NULL,
  charge_us  BIGINT NOT NULL
);
)sql";

// The LoRAs of each generation and image (a JSON array; records.hpp's encode_loras).
constexpr std::string_view kLoras = R"sql(
ALTER TABLE jobs ADD COLUMN loras TEXT NOT NULL DEFAULT '[]';
ALTER TABLE images ADD COLUMN loras TEXT NOT NULL DEFAULT '[]';
)sql";

// How much each inpainting or outpainting blurs its mask's edge (AUTOMATIC1111's "Mask blur");
// earlier rows are 0, no blur.
constexpr std::string_view kMaskBlur = R"sql(
ALTER TABLE jobs ADD COLUMN mask_blur INTEGER NOT NULL DEFAULT 0;
ALTER TABLE images ADD COLUMN mask_blur INTEGER NOT NULL DEFAULT 0;
)sql";

// The settings of OpenAI's GPT image models (background, moderation) and of Stability AI's
// image services on Bedrock (search_prompt, style_image_id, creativity, control_strength);
// earlier rows have none: empty text and 0, the model's default.
constexpr std::string_view kCloudTaskSettings = R"sql(
ALTER TABLE jobs ADD COLUMN background TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN moderation TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN search_prompt TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN style_image_id TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN creativity DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN control_strength DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE images ADD COLUMN background TEXT NOT NULL DEFAULT '';
ALTER TABLE images ADD COLUMN moderation TEXT NOT NULL DEFAULT '';
ALTER TABLE images ADD COLUMN search_prompt TEXT NOT NULL DEFAULT '';
ALTER TABLE images ADD COLUMN style_image_id TEXT NOT NULL DEFAULT '';
ALTER TABLE images ADD COLUMN creativity DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE images ADD COLUMN control_strength DOUBLE PRECISION NOT NULL DEFAULT 0;
)sql";

// Every change to a user or to their sessions is announced on the rendermart_accounts channel
// (the user's id), whichever process or statement made it: the API processes keep signed-in
// users between requests (store/account_changes) and forget them on these notifications. Sent on
// commit, never for a change rolled back. SQLite keeps no such memory.
constexpr std::string_view kAccountChangesSqlite = "-- nothing to announce";
constexpr std::string_view kAccountChangesPostgres = R"sql(
CREATE FUNCTION rendermart_user_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('rendermart_accounts', OLD.id);
  RETURN NULL;
END
$$;
CREATE FUNCTION rendermart_session_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('rendermart_accounts', OLD.user_id);
  RETURN NULL;
END
$$;
CREATE TRIGGER users_changed AFTER UPDATE OR DELETE ON users
  FOR EACH ROW EXECUTE FUNCTION rendermart_user_changed();
CREATE TRIGGER sessions_changed AFTER UPDATE OR DELETE ON sessions
  FOR EACH ROW EXECUTE FUNCTION rendermart_session_changed();
)sql";

// The further settings of Stability AI's image services on Bedrock (style_preset, grow_mask,
// composition_fidelity, change_strength); earlier rows have none: empty text and 0.
constexpr std::string_view kStabilityServiceSettings = R"sql(
ALTER TABLE jobs ADD COLUMN style_preset TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN grow_mask INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN composition_fidelity DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN change_strength DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE images ADD COLUMN style_preset TEXT NOT NULL DEFAULT '';
ALTER TABLE images ADD COLUMN grow_mask INTEGER NOT NULL DEFAULT 0;
ALTER TABLE images ADD COLUMN composition_fidelity DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE images ADD COLUMN change_strength DOUBLE PRECISION NOT NULL DEFAULT 0;
)sql";

constexpr std::array kMigrations{
    Migration{1, "initial schema", kInitialSchemaSqlite, kInitialSchemaPostgres},
    Migration{2, "generation tasks", kGenerationTasksSqlite, kGenerationTasksPostgres},
    Migration{3, "invitations", kInvitationsSqlite, kInvitationsPostgres},
    Migration{4, "limits", kLimitsSqlite, kLimitsPostgres},
    Migration{5, "fair claims", kFairClaims, kFairClaims},
    Migration{6, "request rates", kRequestRatesSqlite, kRequestRatesPostgres},
    Migration{7, "loras", kLoras, kLoras},
    Migration{8, "mask blur", kMaskBlur, kMaskBlur},
    Migration{9, "cloud task settings", kCloudTaskSettings, kCloudTaskSettings},
    Migration{10, "account changes", kAccountChangesSqlite, kAccountChangesPostgres},
    Migration{11, "stability service settings", kStabilityServiceSettings,
              kStabilityServiceSettings},
};

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

}  // namespace rendermart
