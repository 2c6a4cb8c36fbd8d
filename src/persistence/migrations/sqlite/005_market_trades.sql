-- Historical market trades (Kraken REST Trades): the raw material that bars older than the
-- 720 OHLC candles Kraken serves are built from, kept so they can be re-aggregated or
-- replayed. Kraken numbers each pair's trades, so (instrument, trade_id) is the key and a trade
-- fetched again is stored once. Prices and quantities are exact decimal text.
CREATE TABLE market_trades (
  instrument TEXT NOT NULL,
  trade_id   INTEGER NOT NULL,
  price      TEXT NOT NULL,
  qty        TEXT NOT NULL,
  side       TEXT NOT NULL,  -- the aggressor: buy | sell
  ord_type   TEXT NOT NULL,  -- market | limit
  ts_ns      INTEGER NOT NULL,
  ts         TEXT NOT NULL,
  PRIMARY KEY (instrument, trade_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX market_trades_by_time ON market_trades (instrument, ts_ns);
