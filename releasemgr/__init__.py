"""releasemgr: a desktop release manager for a GitHub Actions PyInstaller pipeline."""

__version__ = "0.1.0"
