"""The window's pages, and the protocol every page follows.

A page is a ``QWidget`` subclass with:

- class attributes ``title: str`` (the sidebar entry, e.g. ``"Approvals"``) and ``icon_name: str``
  (a file stem under ``resources/icons/``, e.g. ``"approvals"``; a missing icon is tolerated);
- a constructor ``(controller: Controller, parent: QWidget | None = None)``;
- a ``refresh()`` slot: ask the controller for fresh data (never block, never touch the network,
  the disk or time; the answer arrives later by signal). It is called when the page is shown, on
  the refresh shortcut, and by the poll timer while the page is visible;
- optionally ``badge_changed = Signal(int)``: the count shown on the page's sidebar entry
  (0 hides it), e.g. the number of gates waiting;
- optionally ``needs_session: bool = True``: False for pages that work offline (Verify), which
  then stay usable while signed out;
- optionally ``poll()``: what the window's poll timer calls instead of ``refresh()``; it should
  not supersede a read of the same thing that is still in flight (``Controller.load_*`` take
  ``poll=True`` for that);
- optionally ``prepare_screenshot()``: called by ``releasemgr demo --screenshot`` once the page
  is shown and idle, to start something worth picturing (the picture is taken when the
  controller is idle again);
- optionally ``approve_selected()`` (the approve shortcut calls it on the page that has it) and
  ``shutdown()`` (called before the window closes, after pending work was cancelled).

Pages are listed once, in :data:`PAGES`, as ``"module:Class"`` under this package, in sidebar
order. They are imported lazily so that a page being written cannot stop the window from starting.
The screenshot mode renders every page in this tuple.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from releasemgr.ui.controller import Controller


PAGES: tuple[str, ...] = (
    "pipeline:PipelinePage",
    "approvals:ApprovalsPage",
    "releases:ReleasesPage",
    "verify:VerifyPage",
    "insights:InsightsPage",
    "activity:ActivityPage",
)


@runtime_checkable
class Page(Protocol):
    """What the main window relies on (a QWidget with these members)."""

    title: str
    icon_name: str

    def refresh(self) -> None:
        """Ask for fresh data; returns at once."""


class PageFactory(Protocol):
    """A page class: built with the controller and an optional parent."""

    title: str
    icon_name: str

    def __call__(self, controller: Controller, parent: QWidget | None = None) -> QWidget: ...


def load_pages(names: tuple[str, ...] = PAGES) -> list[PageFactory]:
    """Import the page classes named in ``names``, skipping modules that do not exist yet."""
    pages: list[PageFactory] = []
    for entry in names:
        module_name, _, class_name = entry.partition(":")
        try:
            module = importlib.import_module(f"{__name__}.{module_name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{module_name}":
                raise  # the page exists but something it imports is missing: a real bug
            continue
        pages.append(getattr(module, class_name))
    return pages
