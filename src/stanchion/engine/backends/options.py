"""Execution options stanchion sets on connections, read back by its own engine hooks."""

from __future__ import annotations

#: Execution option marking a transaction begun read-only: a read-only error inside it is the
#: caller's own write, not a lost primary (see `PrimaryLost`).
READ_ONLY = "stanchion.read_only"
#: Execution option of a statement stanchion sends to set a transaction up (per-transaction
#: settings behind a pooler): part of BEGIN, so query counts leave it out like BEGIN itself.
TRANSACTION_SETUP = "stanchion.transaction_setup"
