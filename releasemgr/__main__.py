"""``python -m releasemgr``."""

from releasemgr.cli.main import entry

entry()
