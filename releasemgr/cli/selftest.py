"""``releasemgr --self-test``: prove that an installation (above all a frozen bundle) works.

Three checks, each reported on one line: Qt starts offscreen and the main window is built with no
network; the bundled sample package verifies against its ``checksums.txt``; the version is known.
The smoke test of the pipeline runs this in the built bundle, so what PyInstaller left out shows
up here rather than on a user's machine. Qt is imported only inside the check that needs it.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from releasemgr import __version__
from releasemgr.cli.context import Context
from releasemgr.errors import ExitCode, ReleasemgrError

SAMPLE = Path("resources") / "sample"


def resources_dir() -> Path:
    """``resources/``: inside the bundle when frozen, else beside the package in a checkout."""
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def check_window() -> str:
    """Start Qt offscreen, build the main window signed out, let it settle, close it."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from releasemgr.ui.app import create_app
    from releasemgr.ui.controller import Controller
    from releasemgr.ui.mainwindow import MainWindow

    app = create_app(["releasemgr", "--self-test"])
    # No token and no settings: nothing reaches for the network or the user's files.
    controller = Controller(env={})
    window = MainWindow(controller, settings=None)
    try:
        app.processEvents()
        pages = len(window.pages)
        if pages == 0:
            raise RuntimeError("the main window has no pages")
        return f"{app.platformName()} platform, main window with {pages} pages"
    finally:
        window.close()
        window.deleteLater()
        app.processEvents()


def check_sample(root: Path | None = None) -> str:
    """Verify the bundled sample package with the same code ``releasemgr verify`` uses."""
    from releasemgr.release.verify import verify_path

    sample = root or resources_dir() / "sample"
    if not sample.is_dir():
        raise RuntimeError(f"{sample}: the sample package is missing")
    report = verify_path(sample)
    if not report.ok:
        raise RuntimeError(f"{sample}: {report.summary()}")
    return report.summary()


def main(ctx: Context, checks: dict[str, Callable[[], str]] | None = None) -> int:
    """Run every check, print one line each and a verdict; 0 when all passed."""
    checks = checks or {"window": check_window, "sample": check_sample}
    python = "Python " + sys.version.split()[0]
    frozen = "frozen bundle" if getattr(sys, "frozen", False) else python
    print(f"releasemgr {__version__} self-test ({frozen}, {sys.platform})", file=ctx.stdout)
    failed = 0
    for name, check in checks.items():
        started = time.perf_counter()
        try:
            detail = check()
        except (ReleasemgrError, RuntimeError, ImportError, OSError) as exc:
            failed += 1
            print(f"FAIL {name}: {exc}", file=ctx.stdout)
            continue
        took = time.perf_counter() - started
        print(f"ok   {name}: {detail} ({took:.2f} s)", file=ctx.stdout)
    if failed:
        print(f"self-test FAILED: {failed} of {len(checks)} checks", file=ctx.stdout)
        return int(ExitCode.FAILED)
    print("self-test passed", file=ctx.stdout)
    return int(ExitCode.OK)
