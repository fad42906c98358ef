"""The domain model: frozen, typed dataclasses that know nothing of PyGithub or Qt.

``github/`` converts payloads into these at its boundary; ``ui/`` and ``cli/`` only read them.
"""

from __future__ import annotations

from enum import StrEnum


class Platform(StrEnum):
    """A platform the pipeline builds for."""

    WINDOWS = "windows"
    MACOS = "macos"
    LINUX = "linux"


class Stage(StrEnum):
    """A column of the platform x stage grid, in pipeline order."""

    BUILD = "build"
    TEST = "test"
    PACKAGE = "package"
    CANARY = "canary"
    MONITOR = "monitor"
    PRODUCTION = "production"


class Channel(StrEnum):
    """A release channel, as written to ``channel.txt``."""

    CANARY = "canary"
    STABLE = "stable"


# The platforms the seed's pipeline ships.
PIPELINE_PLATFORMS: tuple[Platform, ...] = (Platform.WINDOWS, Platform.MACOS)
