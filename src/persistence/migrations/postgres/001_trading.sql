-- Trade signals, orders and fills.
--
-- Conventions of every table (see include/galfriday/persistence/repositories.hpp): money,
-- prices and quantities are exact decimal TEXT, never REAL; times are BIGINT nanoseconds since
-- the Unix epoch with RFC 3339 text beside them; enums are their to_string() text. STRICT makes
-- SQLite reject a value of the wrong type instead of converting it.

CREATE TABLE trade_signals (
  signal_id           TEXT PRIMARY KEY,
  instrument          TEXT NOT NULL,
  strategy_id         TEXT NOT NULL,
  side                TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
  entry_type          TEXT NOT NULL,
  limit_price         TEXT,
  reference_price     TEXT NOT NULL,
  stop_loss           TEXT NOT NULL,
  take_profit         TEXT,
  prediction_sequence BIGINT NOT NULL,
  prediction_value    TEXT NOT NULL,  -- a model output (double), shortest round-trip text
  status              TEXT NOT NULL CHECK (status IN ('proposed', 'approved', 'rejected')),
  approved_quantity   TEXT,
  risk_amount         TEXT,
  reject_reason       TEXT,
  reject_message      TEXT NOT NULL DEFAULT '',
  proposed_at_ns      BIGINT NOT NULL,
  proposed_at         TEXT NOT NULL,
  decided_at_ns       BIGINT,
  decided_at          TEXT
);
CREATE INDEX trade_signals_by_time ON trade_signals (proposed_at_ns);

-- An order is stored before it is sent (status pending_new), then follows execution reports.
CREATE TABLE orders (
  client_order_id    TEXT PRIMARY KEY,
  exchange_order_id  TEXT UNIQUE,
  signal_id          TEXT,
  instrument         TEXT NOT NULL,
  purpose            TEXT NOT NULL,
  side               TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
  order_type         TEXT NOT NULL,
  quantity           TEXT NOT NULL,
  limit_price        TEXT,
  stop_price         TEXT,
  status             TEXT NOT NULL,
  quantity_filled    TEXT NOT NULL,
  average_fill_price TEXT,
  message            TEXT NOT NULL DEFAULT '',
  created_at_ns      BIGINT NOT NULL,
  created_at         TEXT NOT NULL,
  updated_at_ns      BIGINT NOT NULL,
  updated_at         TEXT NOT NULL
);
CREATE INDEX orders_by_signal ON orders (signal_id);
CREATE INDEX orders_by_status ON orders (status, created_at_ns);

-- Fills are keyed by the exchange's trade id, so a replayed report is not booked twice. No
-- foreign key to orders: reconciliation must be able to record a fill of an order we lost.
CREATE TABLE fills (
  trade_id          TEXT PRIMARY KEY,
  client_order_id   TEXT NOT NULL,
  exchange_order_id TEXT,
  instrument        TEXT NOT NULL,
  side              TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
  price             TEXT NOT NULL,
  qty               TEXT NOT NULL,
  fee               TEXT NOT NULL,
  fee_currency      TEXT NOT NULL,
  liquidity         TEXT NOT NULL CHECK (liquidity IN ('maker', 'taker')),
  ts_ns             BIGINT NOT NULL,
  ts                TEXT NOT NULL
);
CREATE INDEX fills_by_order ON fills (client_order_id, ts_ns);
