-- Model lifecycle (module models): registered model versions, A/B experiments with their
-- per-key assignments and outcomes, retraining jobs and drift events. Portable SQL: the same
-- text is valid for PostgreSQL. Ratios and statistics are stored as shortest round-trip text
-- (they are doubles, not money); P&L is exact decimal text. Ids are assigned by the code
-- (MAX(id) + 1 inside the inserting transaction), not by a backend-specific auto-increment.

CREATE TABLE model_versions (
  model_id            TEXT PRIMARY KEY,
  target              TEXT NOT NULL,
  stage               TEXT NOT NULL CHECK (stage IN ('development', 'staging', 'production', 'archived')),
  artifact_path       TEXT NOT NULL,
  sha256              TEXT NOT NULL,
  feature_names       TEXT NOT NULL,
  training_start_ns   BIGINT,
  training_end_ns     BIGINT,
  params_json         TEXT NOT NULL,
  metrics_json        TEXT NOT NULL,
  distribution_json   TEXT,
  created_at_ns       BIGINT NOT NULL,
  stage_changed_at_ns BIGINT NOT NULL
);
CREATE INDEX model_versions_target_stage ON model_versions (target, stage);

-- Every stage move, for audit: who moved which model from where to where and why.
CREATE TABLE model_stage_history (
  id          BIGINT PRIMARY KEY,
  model_id    TEXT NOT NULL REFERENCES model_versions (model_id),
  from_stage  TEXT,
  to_stage    TEXT NOT NULL,
  reason      TEXT NOT NULL,
  changed_at_ns BIGINT NOT NULL
);

CREATE TABLE experiments (
  name              TEXT PRIMARY KEY,
  model_a           TEXT NOT NULL REFERENCES model_versions (model_id),
  model_b           TEXT NOT NULL REFERENCES model_versions (model_id),
  traffic_split     TEXT NOT NULL,
  status            TEXT NOT NULL CHECK (status IN ('running', 'stopped')),
  started_at_ns     BIGINT NOT NULL,
  stopped_at_ns     BIGINT,
  winner            TEXT,
  stop_reason       TEXT
);

-- One row per routed key (signal or bar); the outcome columns are filled once known.
CREATE TABLE experiment_assignments (
  experiment      TEXT NOT NULL REFERENCES experiments (name),
  assignment_key  TEXT NOT NULL,
  arm             TEXT NOT NULL CHECK (arm IN ('a', 'b')),
  assigned_at_ns  BIGINT NOT NULL,
  correct         BIGINT,
  pnl             TEXT,
  outcome_at_ns   BIGINT,
  PRIMARY KEY (experiment, assignment_key)
);

CREATE TABLE retraining_jobs (
  id              BIGINT PRIMARY KEY,
  trigger_reason  TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
  started_at_ns   BIGINT NOT NULL,
  finished_at_ns  BIGINT,
  model_id        TEXT,
  promoted        BIGINT NOT NULL DEFAULT 0,
  message         TEXT NOT NULL DEFAULT ''
);

CREATE TABLE drift_events (
  id            BIGINT PRIMARY KEY,
  model_id      TEXT NOT NULL,
  kind          TEXT NOT NULL CHECK (kind IN ('feature', 'prediction', 'performance')),
  subject       TEXT NOT NULL,
  statistic     TEXT NOT NULL,
  value         TEXT NOT NULL,
  threshold     TEXT NOT NULL,
  detected_at_ns BIGINT NOT NULL,
  message       TEXT NOT NULL
);
CREATE INDEX drift_events_model ON drift_events (model_id, detected_at_ns);
