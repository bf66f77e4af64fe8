"""The head revision read from the migration files (to skip Alembic at start-up) is Alembic's own head."""

from alembic.script import ScriptDirectory

from syncd.adapters.db.engine import MIGRATIONS_DIR, migration_head


def test_migration_head_matches_alembic() -> None:
    assert migration_head() == ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
