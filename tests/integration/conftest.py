from __future__ import annotations

import pytest
from moto import mock_aws

from localcloud.motofixes import faithful
from localcloud.resources import create_all


@pytest.fixture
def aws(template):
    """In-process moto with every resource of template.yaml, created from the template; each DynamoDB request
    atomic and PartiQL updates conditional, as in DynamoDB and the local cloud (localcloud.motofixes.faithful)."""
    with mock_aws(), faithful():
        from pynamodb.models import Model

        _reset_connections(Model)  # PynamoDB caches a client per model class
        create_all(template)
        yield template


def _reset_connections(model) -> None:
    model._connection = None
    for sub in model.__subclasses__():
        _reset_connections(sub)
