"""Status colours, glyphs and small formatting helpers that read well in light and dark themes.

Colours are never used as they are: a status hue is blended into the palette's base colour, and
text stays the palette's text colour, so a cell is readable whatever the system theme.
"""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtGui import QColor, QFont, QFontDatabase, QPalette

from releasemgr.model import CellState

# Hues chosen to stay distinguishable for the common colour-vision deficiencies when paired
# with the glyphs below (the glyph, not the colour, carries the meaning).
_HUES: dict[str, QColor] = {
    "success": QColor(46, 160, 67),
    "failure": QColor(218, 54, 51),
    "running": QColor(210, 153, 34),
    "waiting": QColor(130, 80, 223),
    "queued": QColor(110, 118, 129),
    "pending": QColor(110, 118, 129),
    "cancelled": QColor(110, 118, 129),
    "skipped": QColor(110, 118, 129),
    "ok": QColor(46, 160, 67),
    "warn": QColor(210, 153, 34),
    "alert": QColor(218, 54, 51),
    "unknown": QColor(110, 118, 129),
}

GLYPHS: dict[str, str] = {
    "success": "✓",
    "failure": "✗",
    "running": "●",
    "queued": "○",
    "pending": "·",
    "waiting": "‖",  # a pause sign every common font has (U+23F8 is missing from many)
    "cancelled": "⊘",
    "skipped": "–",
}

LABELS: dict[str, str] = {
    "success": "Succeeded",
    "failure": "Failed",
    "running": "Running",
    "queued": "Queued",
    "pending": "Pending",
    "waiting": "Waiting for approval",
    "cancelled": "Cancelled",
    "skipped": "Skipped",
}


PLATFORM_NAMES: dict[str, str] = {"windows": "Windows", "macos": "macOS", "linux": "Linux"}


def platform_name(platform: str) -> str:
    """``"macos"`` -> ``"macOS"``: platforms as their makers spell them."""
    return PLATFORM_NAMES.get(str(platform), str(platform).title())


def is_dark(palette: QPalette) -> bool:
    """Whether the palette is a dark theme (its window is darker than its text)."""
    window = palette.color(QPalette.ColorRole.Window)
    text = palette.color(QPalette.ColorRole.WindowText)
    return window.lightness() < text.lightness()


def hue(state: str) -> QColor:
    """The raw hue of a status (for small marks like a chart line or a dot)."""
    return QColor(_HUES.get(str(state), _HUES["unknown"]))


def background(state: str | CellState, palette: QPalette) -> QColor:
    """A cell background for ``state``: its hue blended into the palette's base colour."""
    base = palette.color(QPalette.ColorRole.Base)
    tint = hue(str(state))
    amount = 0.38 if is_dark(palette) else 0.22
    return QColor(
        round(base.red() + (tint.red() - base.red()) * amount),
        round(base.green() + (tint.green() - base.green()) * amount),
        round(base.blue() + (tint.blue() - base.blue()) * amount),
    )


def foreground(state: str | CellState, palette: QPalette) -> QColor:
    """A text colour for ``state`` that keeps contrast on the palette's base colour."""
    tint = hue(str(state))
    if is_dark(palette):
        return tint.lighter(150)
    return tint.darker(130)


def label(state: str | CellState) -> str:
    """``"✓ Succeeded"`` and friends."""
    key = str(state)
    return f"{GLYPHS.get(key, '')} {LABELS.get(key, key.title())}".strip()


def duration(seconds: float | None) -> str:
    """``"4m 05s"``, ``"1h 02m"``, ``"38s"``, or ``""`` when unknown."""
    if seconds is None:
        return ""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"


def age(when: datetime | None, now: datetime | None = None) -> str:
    """``"5 min ago"``, ``"3 h ago"``, ``"2 days ago"``."""
    if when is None:
        return ""
    now = now or datetime.now(UTC)
    seconds = max(0.0, (now - when).total_seconds())
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 86400:
        return f"{int(seconds // 3600)} h ago"
    days = int(seconds // 86400)
    return f"{days} day{'s' if days != 1 else ''} ago"


def monospace() -> QFont:
    """The system's fixed-width font (logs, digests)."""
    return QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
