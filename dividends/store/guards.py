"""Database-level guards of the ledger: the database itself refuses to rewrite the books.

Created by migration ``0008_ledger_guards`` on SQLite and PostgreSQL:

- ``ledger_entry`` and ``ledger_posting`` are append-only: UPDATE and DELETE (and TRUNCATE on
  PostgreSQL) raise an error, whoever issues them (the application, a SQL console, a script);
- ``ledger_head`` may only advance: a new or moved head must name the village's last entry (same
  seq and hash) and a moved head must have a higher seq; deleting a head is refused.

What stays advisory: whoever owns the database can drop the triggers (``DROP TRIGGER``, or on
PostgreSQL ``ALTER TABLE ... DISABLE TRIGGER``) and then rewrite entries and head together. That
is what the signed checkpoint (``dividends ledger checkpoint`` / ``ledger verify --against``)
and the ledger head recorded in every audit pack detect, since their copies live outside the
database. A future migration that rebuilds one of these tables on SQLite (a table copy) drops
its triggers with it and must call :func:`create_sql` again.
"""
from __future__ import annotations

SQLITE_CREATE = """
CREATE TRIGGER IF NOT EXISTS ledger_entry_no_update BEFORE UPDATE ON ledger_entry
BEGIN SELECT RAISE(ABORT, 'ledger_entry is append-only: UPDATE refused'); END;
CREATE TRIGGER IF NOT EXISTS ledger_entry_no_delete BEFORE DELETE ON ledger_entry
BEGIN SELECT RAISE(ABORT, 'ledger_entry is append-only: DELETE refused'); END;
CREATE TRIGGER IF NOT EXISTS ledger_posting_no_update BEFORE UPDATE ON ledger_posting
BEGIN SELECT RAISE(ABORT, 'ledger_posting is append-only: UPDATE refused'); END;
CREATE TRIGGER IF NOT EXISTS ledger_posting_no_delete BEFORE DELETE ON ledger_posting
BEGIN SELECT RAISE(ABORT, 'ledger_posting is append-only: DELETE refused'); END;
CREATE TRIGGER IF NOT EXISTS ledger_head_no_delete BEFORE DELETE ON ledger_head
BEGIN SELECT RAISE(ABORT, 'ledger_head may only advance: DELETE refused'); END;
CREATE TRIGGER IF NOT EXISTS ledger_head_advance BEFORE UPDATE ON ledger_head
WHEN NEW.village_id <> OLD.village_id OR NEW.seq <= OLD.seq
BEGIN SELECT RAISE(ABORT, 'ledger_head may only advance: a lower or equal seq refused'); END;
CREATE TRIGGER IF NOT EXISTS ledger_head_names_last_entry_on_update BEFORE UPDATE ON ledger_head
WHEN NOT EXISTS (SELECT 1 FROM ledger_entry e WHERE e.village_id = NEW.village_id AND e.seq = NEW.seq AND e.hash = NEW.hash)
  OR EXISTS (SELECT 1 FROM ledger_entry e WHERE e.village_id = NEW.village_id AND e.seq > NEW.seq)
BEGIN SELECT RAISE(ABORT, 'ledger_head must name the village''s last ledger entry'); END;
CREATE TRIGGER IF NOT EXISTS ledger_head_names_last_entry_on_insert BEFORE INSERT ON ledger_head
WHEN NOT EXISTS (SELECT 1 FROM ledger_entry e WHERE e.village_id = NEW.village_id AND e.seq = NEW.seq AND e.hash = NEW.hash)
  OR EXISTS (SELECT 1 FROM ledger_entry e WHERE e.village_id = NEW.village_id AND e.seq > NEW.seq)
BEGIN SELECT RAISE(ABORT, 'ledger_head must name the village''s last ledger entry'); END;
"""

SQLITE_DROP = "".join(f"DROP TRIGGER IF EXISTS {name};" for name in (
    "ledger_entry_no_update", "ledger_entry_no_delete", "ledger_posting_no_update", "ledger_posting_no_delete",
    "ledger_head_no_delete", "ledger_head_advance", "ledger_head_names_last_entry_on_update",
    "ledger_head_names_last_entry_on_insert"))

POSTGRES_CREATE = """
CREATE OR REPLACE FUNCTION dividends_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE OR REPLACE FUNCTION dividends_ledger_head_advance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND (NEW.village_id <> OLD.village_id OR NEW.seq <= OLD.seq) THEN
    RAISE EXCEPTION 'ledger_head may only advance: a lower or equal seq refused' USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM ledger_entry e WHERE e.village_id = NEW.village_id AND e.seq = NEW.seq AND e.hash = NEW.hash)
     OR EXISTS (SELECT 1 FROM ledger_entry e WHERE e.village_id = NEW.village_id AND e.seq > NEW.seq) THEN
    RAISE EXCEPTION 'ledger_head must name the village''s last ledger entry' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE OR DELETE ON ledger_entry
  FOR EACH ROW EXECUTE FUNCTION dividends_ledger_append_only();
CREATE TRIGGER ledger_entry_no_truncate BEFORE TRUNCATE ON ledger_entry
  FOR EACH STATEMENT EXECUTE FUNCTION dividends_ledger_append_only();
CREATE TRIGGER ledger_posting_append_only BEFORE UPDATE OR DELETE ON ledger_posting
  FOR EACH ROW EXECUTE FUNCTION dividends_ledger_append_only();
CREATE TRIGGER ledger_posting_no_truncate BEFORE TRUNCATE ON ledger_posting
  FOR EACH STATEMENT EXECUTE FUNCTION dividends_ledger_append_only();
CREATE TRIGGER ledger_head_no_delete BEFORE DELETE ON ledger_head
  FOR EACH ROW EXECUTE FUNCTION dividends_ledger_append_only();
CREATE TRIGGER ledger_head_no_truncate BEFORE TRUNCATE ON ledger_head
  FOR EACH STATEMENT EXECUTE FUNCTION dividends_ledger_append_only();
CREATE TRIGGER ledger_head_advance BEFORE INSERT OR UPDATE ON ledger_head
  FOR EACH ROW EXECUTE FUNCTION dividends_ledger_head_advance();
"""

POSTGRES_DROP = """
DROP TRIGGER IF EXISTS ledger_entry_append_only ON ledger_entry;
DROP TRIGGER IF EXISTS ledger_entry_no_truncate ON ledger_entry;
DROP TRIGGER IF EXISTS ledger_posting_append_only ON ledger_posting;
DROP TRIGGER IF EXISTS ledger_posting_no_truncate ON ledger_posting;
DROP TRIGGER IF EXISTS ledger_head_no_delete ON ledger_head;
DROP TRIGGER IF EXISTS ledger_head_no_truncate ON ledger_head;
DROP TRIGGER IF EXISTS ledger_head_advance ON ledger_head;
DROP FUNCTION IF EXISTS dividends_ledger_append_only();
DROP FUNCTION IF EXISTS dividends_ledger_head_advance();
"""


def create_sql(dialect: str) -> str:
    return POSTGRES_CREATE if dialect == "postgres" else SQLITE_CREATE


def drop_sql(dialect: str) -> str:
    return POSTGRES_DROP if dialect == "postgres" else SQLITE_DROP
