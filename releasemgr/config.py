"""Settings: declared once (type, default, help) with a schema version, stored as TOML."""

from __future__ import annotations

SCHEMA_VERSION = 1
