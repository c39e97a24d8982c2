#!/bin/sh
# docs/howto/migrations-in-a-deploy.md: the release step, run once per deploy, before the new
# version's processes start (a Kubernetes Job, a Heroku release phase, a CI job with the URL).
# Run in the tutorial's project (docs/examples/tutorial) by tests/docs/test_howto.py.
set -eu

# --8<-- [start:ci]
# In CI, on every pull request: the history is sound and no revision locks a busy table.
stanchion db check
stanchion db lint
# --8<-- [end:ci]

# --8<-- [start:release]
# In the release step: apply what is missing; each DDL gives up after [tool.stanchion]
# lock_timeout_ms instead of queueing behind a long transaction (and everyone behind it).
stanchion db upgrade
stanchion db current --check     # exit 4 unless the database is at head
# --8<-- [end:release]
