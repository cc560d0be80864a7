"""On SQLite, a server notices another process's commit through `PRAGMA data_version`.

The other process is Python's own sqlite3 module running the checklist's emergency UPDATE,
as an operator with the sqlite3 shell would.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing

from tests.acceptance.checklist import EMERGENCY_SQL
from tests.acceptance.conftest import AFTER_STEP4, INTERNAL_CUSTOMER
from tests.acceptance.operator import FEATURE, Operator, seconds_until
from tests.e2e.server import running_server

# The checklist's "within a second" is PostgreSQL's LISTEN/NOTIFY promise (test_emergency_procedures);
# on SQLite a 200 ms poll of PRAGMA data_version stands in for it, and on a loaded 2-core machine
# the rebuild behind the poll has been seen to take a little over a second. The point proven here
# is that the change arrives by the poll, not by the 5-minute TTL.
PROPAGATION_SECONDS = 2.0


def test_sqlite_emergency_update_from_another_process__reaches_the_server_within_two_seconds() -> None:
    # Given a server on its SQLite file, the rollout started so the internal customer has the feature
    with running_server({"FLAGPILOT_ENVIRONMENT": "production"}, setup=AFTER_STEP4) as server:
        operator = Operator(server)
        try:
            operator.rollout("start")
            assert operator.has_enhanced_storage(INTERNAL_CUSTOMER)

            # When another process commits the checklist's emergency UPDATE to the file
            with closing(sqlite3.connect(server.log_path.parent / "flagpilot.db")) as connection:
                connection.execute(EMERGENCY_SQL)
                connection.commit()
                audited = connection.execute(
                    "SELECT count(*) FROM feature_flag_changes WHERE actor = 'database' AND feature_name = ?",
                    (FEATURE,),
                ).fetchone()

            # Then the server stops serving the feature within a second, and the trigger audited it
            elapsed = seconds_until(
                lambda: not operator.has_enhanced_storage(INTERNAL_CUSTOMER), PROPAGATION_SECONDS
            )
            assert elapsed is not None, (
                f"the server still serves the feature {PROPAGATION_SECONDS:g} s after the commit"
            )
            assert audited == (1,)
        finally:
            operator.close()
