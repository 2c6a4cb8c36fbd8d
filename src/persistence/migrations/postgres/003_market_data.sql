-- Historical bars (Kraken OHLC downloads, CSV imports). Re-downloading a bar replaces it.
CREATE TABLE historical_bars (
  instrument   TEXT NOT NULL,
  interval_ns  BIGINT NOT NULL CHECK (interval_ns > 0),
  bar_start_ns BIGINT NOT NULL,
  bar_start    TEXT NOT NULL,
  open         TEXT NOT NULL,
  high         TEXT NOT NULL,
  low          TEXT NOT NULL,
  close        TEXT NOT NULL,
  volume       TEXT NOT NULL,
  trade_count  BIGINT NOT NULL,
  PRIMARY KEY (instrument, interval_ns, bar_start_ns)
);
