"""Fixtures the client command tests share with tests/github (simulator, keyring)."""

from tests.github.conftest import connect_as, demo_sim, gh_sim  # noqa: F401 - fixtures
from tests.memkeyring import memory_keyring, no_keyring  # noqa: F401 - fixtures
