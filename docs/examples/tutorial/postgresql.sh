#!/bin/sh
# Step 8: the same service on PostgreSQL. No code changes: only the URLs.
set -eu
export DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/inventory}"
TEST_URL="${TEST_URL:-postgresql://postgres@127.0.0.1:5432/inventory_test}"

stanchion db upgrade     # the migration of step 3, now on PostgreSQL
stanchion db check       # one head, no drift, every revision round-trips (on scratch databases)
stanchion health         # reachable, latency, pool
python -m pytest -q -p no:cacheprovider --stanchion-database-url "$TEST_URL"   # step 7's tests
