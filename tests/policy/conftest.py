"""Bundled policies, loaded once per session (loading is pure and the objects are frozen)."""

from __future__ import annotations

import pytest

from mailflow.policy.council import CouncilPolicy, load_policy


@pytest.fixture(scope="session")
def stafford() -> CouncilPolicy:
    """Stafford Borough Council's bundled rules."""
    return load_policy("stafford")


@pytest.fixture(scope="session")
def chorley() -> CouncilPolicy:
    """Chorley Council's bundled rules."""
    return load_policy("chorley")


@pytest.fixture(scope="session")
def code() -> CouncilPolicy:
    """The Ombudsman's Complaint Handling Code preset."""
    return load_policy("lgsco-code")
