"""Fixtures for the pure forms tests: the shipped definitions, loaded once."""

import pytest

from forms.schema import FormRegistry, load_definitions


@pytest.fixture(scope="session")
def registry() -> FormRegistry:
    return load_definitions()
