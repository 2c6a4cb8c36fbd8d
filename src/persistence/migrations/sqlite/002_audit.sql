-- The event log, portfolio snapshots and the halt state with its history.

-- Every dispatched event as JSON. sequence restarts with each process, so a run_id names the
-- run; (run_id, sequence) is unique and is the replay order.
CREATE TABLE event_log (
  id          INTEGER PRIMARY KEY,
  run_id      TEXT NOT NULL,
  sequence    INTEGER NOT NULL,
  type        TEXT NOT NULL,
  ts_event_ns INTEGER NOT NULL,
  ts_init_ns  INTEGER NOT NULL,
  json        TEXT NOT NULL,
  UNIQUE (run_id, sequence)
) STRICT;
CREATE INDEX event_log_by_type ON event_log (type, ts_event_ns);

CREATE TABLE portfolio_snapshots (
  id                 INTEGER PRIMARY KEY,
  ts_ns              INTEGER NOT NULL,
  ts                 TEXT NOT NULL,
  valuation_currency TEXT NOT NULL,
  equity             TEXT NOT NULL,
  cash               TEXT NOT NULL,
  peak_equity        TEXT NOT NULL,
  realized_pnl       TEXT NOT NULL,
  unrealized_pnl     TEXT NOT NULL,
  drawdown_pct       TEXT NOT NULL,  -- a ratio (double), shortest round-trip text
  positions_json     TEXT NOT NULL   -- [{"instrument","qty","cost_basis","mark_price"}], exact text
) STRICT;
CREATE INDEX portfolio_snapshots_by_time ON portfolio_snapshots (ts_ns);

-- The one current state (id is always 1) and every change.
CREATE TABLE halt_state (
  id            INTEGER PRIMARY KEY CHECK (id = 1),
  state         TEXT NOT NULL CHECK (state IN ('RUNNING', 'HALTED', 'STOPPING')),
  reason        TEXT NOT NULL,
  action        TEXT,
  source        TEXT NOT NULL,
  changed_at_ns INTEGER NOT NULL,
  changed_at    TEXT NOT NULL
) STRICT;

CREATE TABLE halt_history (
  id            INTEGER PRIMARY KEY,
  state         TEXT NOT NULL CHECK (state IN ('RUNNING', 'HALTED', 'STOPPING')),
  reason        TEXT NOT NULL,
  action        TEXT,
  source        TEXT NOT NULL,
  changed_at_ns INTEGER NOT NULL,
  changed_at    TEXT NOT NULL
) STRICT;
