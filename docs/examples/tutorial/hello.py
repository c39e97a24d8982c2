"""Step 1: stanchion is installed and reaches a database (an in-memory one: no file, no server)."""

import stanchion
from stanchion import Database

db = Database("sqlite://")
report = db.health()
print(f"stanchion {stanchion.__version__}: {report.backend} reachable: {report.ok}")
db.dispose()
assert report.ok
