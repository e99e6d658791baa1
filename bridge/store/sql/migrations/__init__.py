"""Schema migrations of the SQL store (Alembic): a store made by an older csapi-bridge upgrades in place.

A fresh store is created from `tables.metadata` in one go and stamped with the newest revision; an existing one
runs the revisions it lacks (`upgrade`), at start-up (`migrate_on_start`) or with `csapi-bridge migrate-store`.
A store that predates Alembic (it has tables but no `alembic_version`) is taken as the baseline revision
`0001` and upgraded from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext, RevisionStep
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect

from bridge.errors import ConfigError
from bridge.store.sql.tables import metadata

BASELINE = "0001"  # the schema of the stores made before migrations existed
HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class SchemaState:
    """Where a store's schema stands: its revision (None: no tables yet) and the newest this bridge knows."""

    current: str | None
    head: str
    empty: bool

    @property
    def up_to_date(self) -> bool:
        """Whether the store runs the newest schema."""
        return self.current == self.head


@cache
def script_directory() -> ScriptDirectory:
    """The revisions shipped in the package (`versions/`)."""
    config = Config()
    config.set_main_option("script_location", str(HERE))
    return ScriptDirectory.from_config(config)


def head() -> str:
    """The newest revision this bridge knows."""
    newest = script_directory().get_current_head()
    if newest is None:
        raise ConfigError("no schema revision is shipped with this csapi-bridge")
    return newest


def schema_state(conn: Connection) -> SchemaState:
    """The revision stamped in the store (the baseline for a pre-migration store with tables)."""
    newest = head()
    tables = set(inspect(conn).get_table_names())
    if not tables:
        return SchemaState(None, newest, empty=True)
    if "alembic_version" not in tables:
        return SchemaState(BASELINE, newest, empty=False)
    current = MigrationContext.configure(conn).get_current_revision()
    return SchemaState(current, newest, empty=False)


def check_known(state: SchemaState) -> None:
    """Raise ConfigError for a store migrated by a newer csapi-bridge (a revision unknown here)."""
    known = {rev.revision for rev in script_directory().walk_revisions()}
    if state.current is not None and state.current not in known:
        raise ConfigError(f"store schema revision {state.current} is newer than this csapi-bridge; upgrade the bridge")


def stamp_head(conn: Connection) -> None:
    """Record a store just created from `tables.metadata` as being at the newest revision."""
    MigrationContext.configure(conn).stamp(script_directory(), "head")


def upgrade(conn: Connection) -> list[str]:
    """Run the revisions the store lacks, in its transaction; the revisions applied, oldest first.

    Raises ConfigError when the store was migrated by a newer csapi-bridge (a revision unknown here).
    """
    script = script_directory()
    state = schema_state(conn)
    check_known(state)
    if state.current == BASELINE and "alembic_version" not in inspect(conn).get_table_names():
        MigrationContext.configure(conn).stamp(script, BASELINE)
    applied: list[str] = []

    def steps(rev: str, _context: MigrationContext) -> list[RevisionStep]:
        found = script._upgrade_revs("head", rev)  # what `alembic upgrade head` runs
        applied.extend(step.revision.revision for step in found)
        return found

    env = EnvironmentContext(Config(), script, fn=steps, destination_rev="head")
    env.configure(connection=conn, target_metadata=metadata, render_as_batch=conn.dialect.name == "sqlite")
    with env.begin_transaction():
        env.run_migrations()
    return applied
