"""PynamoDB plumbing shared by the models.

Every table has the same key shape: ``pk``/``sk`` plus generic indexes ``GSI1``
(``gsi1pk``/``gsi1sk``) and ``GSI2`` (``gsi2pk``/``gsi2sk``), projection ALL, so one table
holds several item types of a bounded context. Each model writes its access patterns beside
it. tests/unit/test_store_schema.py checks the models against the tables in template.yaml.
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex


class Gsi1(GlobalSecondaryIndex):
    class Meta:
        index_name = "GSI1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


class Gsi2(GlobalSecondaryIndex):
    class Meta:
        index_name = "GSI2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


def key(*parts: object) -> str:
    """Compose a key from typed parts: key("BLDG", "SB09") == "BLDG#SB09"."""
    return "#".join(str(p) for p in parts)
