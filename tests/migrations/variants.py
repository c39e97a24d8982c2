"""Model sets that disagree with the sample's migrations, for `check` to catch."""

from __future__ import annotations

from sqlalchemy import Column, MetaData, String

from stanchion.models import NAMING_CONVENTION
from tests.migrations.sample.mig_sample.models import Base

#: The sample's models plus a column no revision adds.
drifted = MetaData(naming_convention=NAMING_CONVENTION)
for _table in Base.metadata.sorted_tables:
    _table.to_metadata(drifted)
drifted.tables["posts"].append_column(Column("summary", String(100), nullable=True))
