"""Smoke tests: run a release's executable with a few checks, each bounded in time.

A package is verified before anything in it runs. Each check runs in its own process group
(session) with a scratch working directory, no stdin and no GitHub token in its environment;
on timeout the whole group is killed, and so is anything the check left running.
"""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from releasemgr.errors import Cancelled, InputError, VerificationFailed
from releasemgr.release.checksums import CHECKSUMS_NAME
from releasemgr.release.manifest import (
    METADATA_NAME,
    ChannelInfo,
    Metadata,
    read_channel_files,
    read_metadata,
)
from releasemgr.release.verify import verify_path

SCHEMA_VERSION = 1
DEFAULT_CHECKS: tuple[str, ...] = ("--version", "--self-test")
DEFAULT_TIMEOUT = 60.0
TAIL_BYTES = 4096
OUTPUT_GRACE = 2.0  # seconds to wait for the output to end after the check's group is gone
_SECRET_ENV = ("GH_TOKEN", "GITHUB_TOKEN", "GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN")


@dataclass(frozen=True)
class SmokeCheck:
    """One check: run the executable with ``args``; it passes on ``expect_exit`` and, when
    ``expect_any`` is not empty, when its output contains at least one of those strings."""

    name: str
    args: tuple[str, ...]
    timeout: float = DEFAULT_TIMEOUT
    expect_exit: int = 0
    expect_any: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckResult:
    """How one check went: exit code (None when killed), duration, output tail, verdict."""

    name: str
    argv: tuple[str, ...]
    exit_code: int | None
    duration_s: float
    timed_out: bool
    passed: bool
    reason: str
    output_tail: str


@dataclass(frozen=True)
class ReleaseInfo:
    """What the package says it is, for the checks to compare against."""

    app: str | None = None
    version: str | None = None
    commit: str | None = None


@dataclass(frozen=True)
class SmokeReport:
    """The whole smoke test: the executable, its package, every check and the verdict."""

    executable: Path
    package: Path | None
    verified: bool  # False: a bare executable outside any package, nothing to verify against
    release: ReleaseInfo
    checks: tuple[CheckResult, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        """Every check passed (and there was at least one)."""
        return bool(self.checks) and all(c.passed for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (schema ``schema_version``)."""
        return {
            "schema_version": SCHEMA_VERSION,
            "executable": str(self.executable),
            "package": str(self.package) if self.package else None,
            "verified": self.verified,
            **asdict(self.release),
            "passed": self.passed,
            "checks": [
                {**asdict(c), "argv": list(c.argv), "duration_s": round(c.duration_s, 3)}
                for c in self.checks
            ],
        }

    def to_json(self) -> str:
        """The report as JSON text."""
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def summary(self) -> str:
        """One line for people: PASS or FAIL and the checks that failed."""
        failed = [c for c in self.checks if not c.passed]
        if not failed:
            return f"PASS {self.executable.name}: {len(self.checks)} checks passed"
        return f"FAIL {self.executable.name}: " + "; ".join(f"{c.name}: {c.reason}" for c in failed)


def locate(path: Path) -> tuple[Path, Path | None]:
    """The executable to test and the package root it belongs to (None outside a package).

    ``path`` is a package root (with ``checksums.txt``), the app folder inside one, or the
    executable itself.

    Raises:
        InputError: nothing runnable is there; the message says what was looked for.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.is_file():
        if path.suffix.lower() == ".zip":
            raise InputError(f"{path}: a zip cannot be run; extract it first (releasemgr download)")
        return path, _package_root_of(path.parent)
    root = path if (path / CHECKSUMS_NAME).is_file() else _package_root_of(path)
    info = _app_only(root)
    app_dirs = [path] if (path / "_internal").is_dir() or path != root else []
    if not app_dirs:
        app_dirs = sorted(d for d in path.iterdir() if d.is_dir() and not d.name.startswith("."))
        if info.app and (path / info.app).is_dir():
            app_dirs = [path / info.app]
    names = [info.app] if info.app else [d.name for d in app_dirs]
    for folder in app_dirs:
        for name in names:
            for candidate in (folder / name, folder / f"{name}.exe"):
                if candidate.is_file():
                    return candidate, root
    zips = sorted(p.name for p in path.glob("*.zip"))
    if zips:
        raise InputError(f"{path}: holds {', '.join(zips)}; extract it first")
    wanted = info.app or "<App>"
    raise InputError(f"{path}: no executable found (looked for {wanted}/{wanted}[.exe])")


def _app_only(root: Path | None) -> ReleaseInfo:
    """The app name from ``metadata.json``, if readable; verification judges the rest later."""
    if root is None:
        return ReleaseInfo()
    try:
        return ReleaseInfo(app=read_metadata(root / METADATA_NAME).app)
    except InputError:
        return ReleaseInfo()


def _package_root_of(app_folder: Path) -> Path | None:
    """The package root around an app folder: its parent, when that holds checksums.txt."""
    parent = app_folder.resolve().parent
    return parent if (parent / CHECKSUMS_NAME).is_file() else None


def read_release_info(root: Path | None) -> ReleaseInfo:
    """App, version and commit from ``metadata.json`` and the channel files in ``root``.

    Raises:
        InputError: ``metadata.json`` or a channel file is malformed (named in the message).
    """
    if root is None:
        return ReleaseInfo()
    meta_path = root / METADATA_NAME
    meta = read_metadata(meta_path) if meta_path.is_file() else None
    return _release_info(meta, read_channel_files(root))


def _release_info(meta: Metadata | None, channel: ChannelInfo | None) -> ReleaseInfo:
    # version.txt names the commit a channel release was built from; it wins over metadata.
    commit = channel.version if channel else (meta.commit if meta else None)
    return ReleaseInfo(
        app=meta.app if meta else None, version=meta.version if meta else None, commit=commit
    )


def checks_for(
    release: ReleaseInfo,
    specs: Sequence[str] = DEFAULT_CHECKS,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    expect: Sequence[str] = (),
) -> tuple[SmokeCheck, ...]:
    """The configured checks (``smoke.checks``: one argument line each) for ``release``.

    A ``--version`` check must also print the release's version or its commit (full or short),
    or, when ``expect`` is given, one of those strings instead.

    Raises:
        InputError: a check line is empty or cannot be split into arguments.
    """
    short = release.commit[:7] if release.commit else None
    expected = tuple(expect) or tuple(v for v in (release.version, release.commit, short) if v)
    checks = []
    for spec in specs:
        try:
            args = tuple(shlex.split(spec))
        except ValueError as exc:
            raise InputError(f"smoke.checks: {spec!r}: {exc}") from exc
        if not args:
            raise InputError("smoke.checks: an empty check line")
        expect = expected if args[0] == "--version" else ()
        checks.append(
            SmokeCheck(name=" ".join(args), args=args, timeout=timeout, expect_any=expect)
        )
    return tuple(checks)


def run_smoke(
    path: Path,
    *,
    specs: Sequence[str] = DEFAULT_CHECKS,
    timeout: float = DEFAULT_TIMEOUT,
    cancel: threading.Event | None = None,
    expect: Sequence[str] = (),
) -> SmokeReport:
    """Verify the package around ``path``, then run each check against its executable.

    ``expect`` replaces what ``--version`` must print (for an app folder that has no package
    metadata yet, as in the pipeline's build job).

    Raises:
        InputError: no executable, or unreadable metadata.
        VerificationFailed: the package does not verify, so nothing in it was run.
        Cancelled: ``cancel`` was set (the running check is killed first).
    """
    executable, root = locate(path)
    release = ReleaseInfo()
    if root is not None:
        report = verify_path(root, cancel=cancel)
        if not report.ok:
            raise VerificationFailed(
                f"{root}: the package failed verification, so nothing in it was run "
                f"({report.summary()})",
                hint="run `releasemgr verify` on it for the details",
            )
        release = _release_info(report.metadata, report.channel)
    results = []
    for check in checks_for(release, specs, timeout=timeout, expect=expect):
        results.append(run_check(executable, check, cancel=cancel))
    return SmokeReport(
        executable=executable,
        package=root,
        verified=root is not None,
        release=release,
        checks=tuple(results),
    )


def run_check(
    executable: Path, check: SmokeCheck, *, cancel: threading.Event | None = None
) -> CheckResult:
    """Run one check in a new process group; kill the whole group on timeout or cancel."""
    argv = (str(executable), *check.args)
    env = {k: v for k, v in os.environ.items() if k not in _SECRET_ENV}
    tail: deque[bytes] = deque()
    with tempfile.TemporaryDirectory(prefix="releasemgr-smoke-") as scratch:
        start = time.monotonic()
        try:
            proc = subprocess.Popen(
                argv,
                cwd=scratch,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                **_group_kwargs(),
            )
        except OSError as exc:
            return CheckResult(
                check.name,
                argv,
                None,
                time.monotonic() - start,
                False,
                False,
                f"could not start: {exc.strerror or exc}",
                "",
            )
        assert proc.stdout is not None
        reader = threading.Thread(target=_drain, args=(proc.stdout, tail), daemon=True)
        reader.start()
        timed_out = cancelled = False
        deadline = start + check.timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            try:
                # With a cancel event, wake up often enough to notice it.
                proc.wait(timeout=min(remaining, 0.1) if cancel is not None else remaining)
                break
            except subprocess.TimeoutExpired:
                if cancel is not None and cancel.is_set():
                    cancelled = True
                    break
        if timed_out or cancelled:
            _kill_group(proc)
            proc.wait()
        duration = time.monotonic() - start
        _kill_group(proc)  # anything the check started and left behind
        reader.join(timeout=OUTPUT_GRACE)
        if not reader.is_alive():
            proc.stdout.close()
        # else: a process that left the group (setsid) still holds the output open; closing
        # the pipe under the blocked reader would hang, so the reader is left to end with it.
    if cancelled:
        raise Cancelled(f"smoke test of {executable.name} cancelled")
    output = b"".join(tail)[-TAIL_BYTES:].decode("utf-8", "replace")
    code = None if timed_out else proc.returncode
    passed, reason = _judge(check, code, timed_out, output)
    return CheckResult(check.name, argv, code, duration, timed_out, passed, reason, output)


def _judge(check: SmokeCheck, code: int | None, timed_out: bool, output: str) -> tuple[bool, str]:
    if timed_out:
        return False, f"no answer within {check.timeout:g} s (killed)"
    if code != check.expect_exit:
        return False, f"exit code {code}, expected {check.expect_exit}"
    if check.expect_any and not any(e in output for e in check.expect_any):
        if len(check.expect_any) == 1:
            return False, f"output does not name {check.expect_any[0]}"
        return False, f"output names neither {' nor '.join(check.expect_any[:2])}"
    return True, "ok"


def _drain(stream: Any, tail: deque[bytes]) -> None:
    """Read the child's output to the end, keeping only the last bytes."""
    kept = 0
    while chunk := stream.read1(65536):
        tail.append(chunk)
        kept += len(chunk)
        while kept - len(tail[0]) >= TAIL_BYTES and len(tail) > 1:
            kept -= len(tail.popleft())


def _group_kwargs() -> dict[str, Any]:
    if sys.platform == "win32":
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    return {"start_new_session": True}


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    """Kill the check's whole process tree."""
    if sys.platform == "win32":
        subprocess.run(
            ["taskkill", "/T", "/F", "/PID", str(proc.pid)], capture_output=True, check=False
        )
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def write_report(report: SmokeReport, path: Path) -> None:
    """Write the report as JSON to ``path`` atomically."""
    data = report.to_json()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with open(fd, "w", encoding="utf-8") as f:
            f.write(data)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
