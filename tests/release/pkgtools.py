"""Helpers for tests that need a small onedir folder or a package zip on disk."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

from releasemgr.release.manifest import Metadata
from releasemgr.release.package import write_package

APP = "ZyraVideoAgentBackend"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
OTHER_COMMIT = "fedcba9876543210fedcba9876543210fedcba98"

SAMPLE_FILES = {
    f"{APP}/{APP}": b"#!/bin/sh\necho sample\n",
    f"{APP}/_internal/base_library.zip": b"PK\x05\x06" + bytes(18),
    f"{APP}/_internal/libpython3.11.so.1.0": b"\x7fELF" + bytes(300),
    f"{APP}/_internal/lib-dynload/_ssl.so": bytes(range(256)) * 8,
    f"{APP}/_internal/data/config.json": b'{"debug": false}\n',
}


def make_onedir(root: Path, files: dict[str, bytes] | None = None) -> Path:
    """Write ``files`` (path -> bytes) under ``root``; the app's executable gets mode 755."""
    for rel, data in (files or SAMPLE_FILES).items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        if rel == f"{APP}/{APP}":
            path.chmod(0o755)
    return root


def make_package(root: Path, *, channel: str | None = None, **kwargs: object) -> Metadata:
    """A packaged onedir folder at ``root`` (created), linux, version 1.2.3."""
    make_onedir(root, kwargs.pop("files", None))  # type: ignore[arg-type]
    return write_package(
        root,
        app=APP,
        platform="linux",
        version="1.2.3",
        commit=COMMIT,
        channel=channel,
        **kwargs,  # type: ignore[arg-type]
    )


def zip_folder(root: Path, dest: Path, *, prefix: str = "") -> Path:
    """Zip ``root`` with its files at the zip root (as upload-artifact does), deflated."""
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                zf.write(path, prefix + path.relative_to(root).as_posix())
    return dest


def sha256sum_check(root: Path) -> subprocess.CompletedProcess[str]:
    """Run the real ``sha256sum -c checksums.txt`` from ``root``."""
    assert shutil.which("sha256sum"), "GNU coreutils sha256sum is needed for this test"
    return subprocess.run(
        ["sha256sum", "-c", "checksums.txt"],
        cwd=root,
        capture_output=True,
        text=True,
        errors="replace",  # it echoes names, which a mangled checksums.txt may break
        check=False,
    )
