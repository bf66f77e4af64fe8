"""The short commands check the schema without Alembic (issue 32): against a revision id kept as a constant, which
must be Alembic's own head, so a new migration that forgets to update it fails here and not on a user's machine."""

from __future__ import annotations

from alembic.config import Config
from alembic.script import ScriptDirectory

from syncd.adapters.db.engine import MIGRATIONS_DIR
from syncd.adapters.db.reads import SCHEMA_HEAD


def test_the_schema_head_constant_is_alembics_head() -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(config).get_heads() == [SCHEMA_HEAD]
