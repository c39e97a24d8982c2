"""The names stanchion reports under: OpenTelemetry's database semantic conventions, then its own.

The conventions' stable names (``db.system.name``, ``db.client.operation.duration``...) are what
dashboards already know; stanchion's own live under ``stanchion.``.
"""

from __future__ import annotations

# Attributes (database client semantic conventions, stable).
DB_SYSTEM_NAME = "db.system.name"
DB_NAMESPACE = "db.namespace"
DB_OPERATION_NAME = "db.operation.name"
DB_COLLECTION_NAME = "db.collection.name"
DB_QUERY_TEXT = "db.query.text"
DB_QUERY_SUMMARY = "db.query.summary"
SERVER_ADDRESS = "server.address"
SERVER_PORT = "server.port"
ERROR_TYPE = "error.type"
POOL_NAME = "db.client.connection.pool.name"
CONNECTION_STATE = "db.client.connection.state"

# stanchion's own attributes.
REPOSITORY_OPERATION = "stanchion.repository.operation"
ISOLATION_LEVEL = "stanchion.transaction.isolation_level"
READ_ONLY = "stanchion.transaction.read_only"
ATTEMPT = "stanchion.transaction.attempt"
OUTCOME = "stanchion.transaction.outcome"
RETRY_DELAY = "stanchion.retry.delay_s"
COMMIT_OUTCOME_UNKNOWN = "stanchion.commit_outcome_unknown"
SLOW_QUERY = "stanchion.slow_query"
NPLUSONE_RELATIONSHIP = "stanchion.nplusone.relationship"
NPLUSONE_PARENTS = "stanchion.nplusone.parents"

# Outcomes of a unit of work.
COMMITTED = "committed"
ROLLED_BACK = "rolled_back"
RETRIED = "retried"
UNKNOWN = "unknown"  # the connection died during COMMIT

# Span names and events.
UNIT_SPAN = "stanchion.transaction"
RETRY_EVENT = "stanchion.retry"
COMMIT_UNKNOWN_EVENT = "stanchion.commit_outcome_unknown"
NPLUSONE_EVENT = "stanchion.nplusone"

# Metrics (database client semantic conventions).
OPERATION_DURATION = "db.client.operation.duration"
CONNECTION_COUNT = "db.client.connection.count"
CONNECTION_MAX = "db.client.connection.max"
PENDING_REQUESTS = "db.client.connection.pending_requests"
WAIT_TIME = "db.client.connection.wait_time"
CREATE_TIME = "db.client.connection.create_time"
USE_TIME = "db.client.connection.use_time"
# stanchion's own metrics.
RETRIES = "stanchion.transaction.retries"
OUTCOMES = "stanchion.transaction.outcomes"
SLOW_QUERIES = "stanchion.slow_queries"
NPLUSONE_DETECTIONS = "stanchion.nplusone.detections"
REPLICA_LAG_BYTES = "stanchion.replica.lag.bytes"
REPLICA_LAG_TRANSACTIONS = "stanchion.replica.lag.transactions"
REPLICA = "stanchion.replica"  # the replica's URL, password masked
REPLICA_STATE = "stanchion.replica.state"

#: The duration buckets the conventions advise for database operations (seconds).
DURATION_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0)
