-- The recovery checklist of a halt: which items the operator has completed, by whom and when,
-- so a restart while halted keeps them (monitoring::HaltCoordinator::restore()).
--
-- A halt is the halt_history row that started it: the current state's row is always the
-- newest one (SqlHaltStateRepository::record() writes halt_state and halt_history in one
-- transaction). Keying the items by that row gives every new halt a fresh checklist without
-- deleting anything, and keeps who completed what for each past halt. Items are the
-- checklist's ids ("review_halt_reason", ...). Portable SQL: the same text is the PostgreSQL
-- migration.
CREATE TABLE recovery_checklist (
  halt_id         BIGINT NOT NULL REFERENCES halt_history (id),
  item            TEXT NOT NULL,
  completed_by    TEXT NOT NULL,
  completed_at_ns BIGINT NOT NULL,
  completed_at    TEXT NOT NULL,
  PRIMARY KEY (halt_id, item)
);
