"""The main window: a sidebar of pages over a stack, a status bar, shortcuts, remembered layout.

It composes the pages listed in :mod:`releasemgr.ui.pages` and stays small: pages do their own
work through the controller; the window only routes refreshes, shortcuts and notifications.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QByteArray, QSettings, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from releasemgr.model import RateLimit
from releasemgr.ui import resources
from releasemgr.ui.controller import Controller, Session
from releasemgr.ui.pages import PageFactory, load_pages

POLL_MS = 15_000  # a quiet poll costs no rate limit (ETags), so it can be frequent
BADGE_DELAY_MS = 400


class MainWindow(QMainWindow):
    """The release manager's window.

    Signals:
        sign_in_requested(): the user asked to sign in (the app opens the dialog).
        sign_out_requested(): the user asked to sign out (the app forgets the token).
        page_changed(int): the index of the page now shown.
    """

    sign_in_requested = Signal()
    sign_out_requested = Signal()
    page_changed = Signal(int)

    def __init__(
        self,
        controller: Controller,
        settings: QSettings | None = None,
        pages: list[PageFactory] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.controller = controller
        self._settings = settings
        self.setWindowTitle("releasemgr")
        self.setWindowIcon(resources.icon("app"))
        self.setObjectName("MainWindow")

        self.sidebar = QListWidget()
        self.sidebar.setObjectName("sidebar")
        self.sidebar.setIconSize(QSize(20, 20))
        self.sidebar.setUniformItemSizes(True)
        self.sidebar.setFrameShape(QListWidget.Shape.NoFrame)
        self.stack = QStackedWidget()
        self.pages: list[QWidget] = []
        self._titles: list[str] = []
        for factory in pages if pages is not None else load_pages():
            self._add_page(factory)

        self._signed_out = self._build_signed_out()
        self.stack.addWidget(self._signed_out)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.setObjectName("splitter")
        splitter.addWidget(self.sidebar)
        splitter.addWidget(self.stack)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        splitter.setSizes([180, 1000])
        self.splitter = splitter
        self.setCentralWidget(splitter)

        self._build_status_bar()
        self._build_menus_and_shortcuts()
        self.tray: QSystemTrayIcon | None = None

        self.sidebar.currentRowChanged.connect(self._show_page)
        controller.session_changed.connect(self._on_session)
        controller.rate_limit_changed.connect(self._on_rate_limit)
        controller.refreshed.connect(self._on_refreshed)
        controller.error.connect(self.show_error)
        controller.sign_in_failed.connect(self.show_error)  # e.g. a keychain token was rejected
        controller.notice.connect(self.show_notice)
        controller.busy_changed.connect(self._on_busy)

        self.poll = QTimer(self)
        self.poll.setObjectName("mainwindow.poll")
        self.poll.setInterval(POLL_MS)
        self.poll.timeout.connect(self.refresh_background)

        self.resize(1180, 760)
        self._restore_layout()
        self._on_session(controller.session)
        if self.sidebar.currentRow() < 0 and self.pages:
            self.sidebar.setCurrentRow(0)

    # -- pages -------------------------------------------------------------------------------

    def _add_page(self, factory: PageFactory) -> None:
        page = factory(self.controller, None)
        index = len(self.pages)
        self.pages.append(page)
        self._titles.append(factory.title)
        self.stack.addWidget(page)
        item = QListWidgetItem(resources.icon(factory.icon_name), factory.title)
        item.setToolTip(f"{factory.title} (Ctrl+{index + 1})" if index < 9 else factory.title)
        self.sidebar.addItem(item)
        badge = getattr(page, "badge_changed", None)
        if badge is not None:
            badge.connect(lambda count, i=index: self.set_badge(i, int(count)))
        notify = getattr(page, "notify_requested", None)
        if notify is not None:
            notify.connect(self.notify)

    def page(self, title: str) -> QWidget:
        """The page whose title is ``title``."""
        return self.pages[self._titles.index(title)]

    def current_page(self) -> QWidget | None:
        """The page selected in the sidebar."""
        row = self.sidebar.currentRow()
        return self.pages[row] if 0 <= row < len(self.pages) else None

    def show_page(self, title: str) -> None:
        """Select the page whose title is ``title``."""
        self.sidebar.setCurrentRow(self._titles.index(title))

    def set_badge(self, index: int, count: int) -> None:
        """Show ``count`` beside the page's sidebar entry (nothing for 0)."""
        item = self.sidebar.item(index)
        title = self._titles[index]
        item.setText(f"{title}  ({count})" if count > 0 else title)
        font = item.font()
        font.setBold(count > 0)
        item.setFont(font)

    def badge_text(self, title: str) -> str:
        """The sidebar text of the page ``title`` (tests read the badge here)."""
        return self.sidebar.item(self._titles.index(title)).text()

    def _show_page(self, row: int) -> None:
        page = self.pages[row] if 0 <= row < len(self.pages) else None
        if page is None:
            return
        if self.controller.session is None and getattr(page, "needs_session", True):
            self.stack.setCurrentWidget(self._signed_out)
        else:
            self.stack.setCurrentWidget(page)
            if self.controller.session is not None or not getattr(page, "needs_session", True):
                page.refresh()  # type: ignore[attr-defined]
        self.page_changed.emit(row)

    def refresh_current(self) -> None:
        """Refresh the page on screen (F5)."""
        page = self.current_page()
        if page is not None and self.stack.currentWidget() is page:
            page.refresh()  # type: ignore[attr-defined]

    def refresh_background(self) -> None:
        """The poll: refresh the visible page and every page that keeps a badge."""
        if self.controller.session is None:
            return
        current = self.current_page()
        for page in self.pages:
            if page is current or hasattr(page, "badge_changed"):
                # poll() (optional) skips a read that is still in flight; refresh() forces one.
                getattr(page, "poll", getattr(page, "refresh"))()  # noqa: B009

    def approve_shortcut(self) -> None:
        """Ctrl+Shift+A: go to the page that approves and approve its selection."""
        for index, page in enumerate(self.pages):
            if hasattr(page, "approve_selected"):
                self.sidebar.setCurrentRow(index)
                page.approve_selected()
                return

    # -- status bar, menus, shortcuts --------------------------------------------------------

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.user_label = QLabel()
        self.user_label.setObjectName("status.user")
        self.rate_label = QLabel()
        self.rate_label.setObjectName("status.rate")
        self.refresh_label = QLabel()
        self.refresh_label.setObjectName("status.refresh")
        self.busy_label = QLabel()
        self.busy_label.setObjectName("status.busy")
        for label in (self.busy_label, self.user_label, self.rate_label, self.refresh_label):
            label.setContentsMargins(8, 0, 8, 0)
            bar.addPermanentWidget(label)

    def add_status_widget(self, widget: QWidget) -> None:
        """Put ``widget`` at the left of the permanent status bar area (the demo's user switch)."""
        self.statusBar().insertPermanentWidget(0, widget)

    def _build_menus_and_shortcuts(self) -> None:
        menu = self.menuBar().addMenu("&Account")
        self.sign_in_action = QAction("Sign &in…", self)
        self.sign_in_action.triggered.connect(self.sign_in_requested)
        self.sign_out_action = QAction("Sign &out", self)
        self.sign_out_action.triggered.connect(self.sign_out_requested)
        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        menu.addActions([self.sign_in_action, self.sign_out_action])
        menu.addSeparator()
        menu.addAction(quit_action)

        view = self.menuBar().addMenu("&View")
        self.refresh_action = QAction("&Refresh", self)
        self.refresh_action.setShortcuts([QKeySequence("F5"), QKeySequence("Ctrl+R")])
        self.refresh_action.triggered.connect(self.refresh_current)
        view.addAction(self.refresh_action)
        self.approve_action = QAction("&Approve selected gate…", self)
        self.approve_action.setShortcut(QKeySequence("Ctrl+Shift+A"))
        self.approve_action.triggered.connect(self.approve_shortcut)
        view.addAction(self.approve_action)
        view.addSeparator()
        for index, title in enumerate(self._titles[:9]):
            action = QAction(title, self)
            action.setShortcut(QKeySequence(f"Ctrl+{index + 1}"))
            action.triggered.connect(lambda _=False, i=index: self.sidebar.setCurrentRow(i))
            view.addAction(action)
        # Ctrl+PgUp/PgDown walk the sidebar from anywhere, like a browser's tab keys.
        QShortcut(QKeySequence("Ctrl+PgDown"), self, lambda: self._step_page(1))
        QShortcut(QKeySequence("Ctrl+PgUp"), self, lambda: self._step_page(-1))

    def _step_page(self, delta: int) -> None:
        if self.pages:
            self.sidebar.setCurrentRow((self.sidebar.currentRow() + delta) % len(self.pages))

    def _build_signed_out(self) -> QWidget:
        box = QWidget()
        box.setObjectName("signed_out")
        layout = QVBoxLayout(box)
        layout.addStretch(1)
        label = QLabel("You are not signed in to GitHub.")
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(label)
        button = QPushButton("Sign in…")
        button.clicked.connect(self.sign_in_requested)
        layout.addWidget(button, 0, Qt.AlignmentFlag.AlignCenter)
        layout.addStretch(2)
        return box

    # -- controller answers ------------------------------------------------------------------

    def _on_session(self, session: Session | None) -> None:
        self.sign_in_action.setEnabled(session is None)
        self.sign_out_action.setEnabled(session is not None)
        if session is None:
            self.user_label.setText("Signed out")
            self.rate_label.clear()
            self.refresh_label.clear()
            self.poll.stop()
        else:
            self.user_label.setText(f"{session.login} @ {session.host}")
            self.user_label.setToolTip(f"{session.repository} via {session.api_url}")
            self.poll.start()
        self._show_page(self.sidebar.currentRow())
        if session is not None:
            # Pages with a badge (approvals) count even while another page is shown; they ask
            # a moment later so the page on screen gets its data first.
            QTimer.singleShot(BADGE_DELAY_MS, self._refresh_badges)

    def _refresh_badges(self) -> None:
        if self.controller.session is None:
            return
        for page in self.pages:
            if hasattr(page, "badge_changed") and page is not self.current_page():
                page.refresh()  # type: ignore[attr-defined]

    def _on_rate_limit(self, limit: RateLimit) -> None:
        text = f"Rate limit: {limit.remaining}/{limit.limit}"
        if limit.reset_at is not None:
            self.rate_label.setToolTip(f"Resets at {limit.reset_at.astimezone():%H:%M}")
        self.rate_label.setText(text)

    def _on_refreshed(self, when: datetime) -> None:
        self.refresh_label.setText(f"Refreshed {when.astimezone():%H:%M:%S}")

    def _on_busy(self, busy: bool) -> None:
        self.busy_label.setText("Working…" if busy else "")

    def show_error(self, message: str) -> None:
        """Show an error sentence in the status bar for a while."""
        self.statusBar().showMessage(message, 15_000)

    def show_notice(self, message: str) -> None:
        """Show an informational sentence in the status bar."""
        self.statusBar().showMessage(message, 8_000)

    def notify(self, title: str, text: str) -> None:
        """A desktop notification where the system has a tray, else the status bar."""
        if QSystemTrayIcon.isSystemTrayAvailable() and QSystemTrayIcon.supportsMessages():
            if self.tray is None:
                self.tray = QSystemTrayIcon(self.windowIcon(), self)
                self.tray.show()
            self.tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 8_000)
        self.statusBar().showMessage(f"{title}: {text}", 15_000)

    # -- layout memory and closing -----------------------------------------------------------

    def _restore_layout(self) -> None:
        if self._settings is None:
            return
        geometry = self._settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = self._settings.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        splitter = self._settings.value("window/splitter")
        if isinstance(splitter, QByteArray):
            self.splitter.restoreState(splitter)
        row = self._settings.value("window/page")
        if row is not None and str(row).isdigit() and int(str(row)) < len(self.pages):
            self.sidebar.setCurrentRow(int(str(row)))

    def save_layout(self) -> None:
        """Remember size, position, splitter and page for the next start."""
        if self._settings is None:
            return
        self._settings.setValue("window/geometry", self.saveGeometry())
        self._settings.setValue("window/state", self.saveState())
        self._settings.setValue("window/splitter", self.splitter.saveState())
        self._settings.setValue("window/page", self.sidebar.currentRow())
        self._settings.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Cancel pending work, let pages clean up, remember the layout."""
        self.poll.stop()
        self.save_layout()
        self.hide()  # gone for the user at once, even if a worker takes a moment to return
        self.controller.shutdown()
        for page in self.pages:
            shutdown = getattr(page, "shutdown", None)
            if callable(shutdown):
                shutdown()
        if self.tray is not None:
            self.tray.hide()
        super().closeEvent(event)
