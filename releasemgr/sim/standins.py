"""Tiny stand-ins for the PyInstaller onedir folder, runnable on this host.

The executable is a POSIX shell script (whatever its name on the target platform) that answers
``--version`` with the app, version and commit and ``--self-test`` with exit 0, so a smoke test
of a simulated release is real. The ``_internal/`` files are small, seeded filler.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

_INTERNAL = {
    "windows": ("base_library.zip", "python311.dll", "app.pyz"),
    "macos": ("base_library.zip", "libpython3.11.dylib", "app.pyz"),
    "linux": ("base_library.zip", "libpython3.11.so.1.0", "app.pyz"),
}


def executable_name(app: str, platform: str) -> str:
    """The executable's file name inside ``<app>/`` on ``platform``."""
    return f"{app}.exe" if platform == "windows" else app


def package_file_count(app: str, platform: str) -> int:
    """How many files the onedir folder of a stand-in release holds."""
    return 1 + len(_INTERNAL.get(platform, _INTERNAL["linux"]))


def _script(app: str, platform: str, version: str, commit: str) -> str:
    return (
        "#!/bin/sh\n"
        f"# Stand-in for {app} {version} ({platform}), made by the releasemgr simulator.\n"
        'case "$1" in\n'
        f'  --version) echo "{app} {version} (commit {commit})" ;;\n'
        '  --self-test) echo "self-test: ok"; exit 0 ;;\n'
        f'  *) echo "usage: {app} [--version | --self-test]" >&2; exit 2 ;;\n'
        "esac\n"
    )


def _filler(seed: str, size: int) -> bytes:
    out = bytearray()
    block = hashlib.sha256(seed.encode()).digest()
    while len(out) < size:
        out += block
        block = hashlib.sha256(block).digest()
    return bytes(out[:size])


def write_onedir(root: Path, app: str, platform: str, version: str, commit: str) -> Path:
    """Write ``root/<app>/`` with the executable and ``_internal/``; the folder written."""
    folder = root / app
    internal = folder / "_internal"
    internal.mkdir(parents=True, exist_ok=True)
    exe = folder / executable_name(app, platform)
    exe.write_text(_script(app, platform, version, commit), encoding="utf-8", newline="\n")
    exe.chmod(0o755)
    for i, name in enumerate(_INTERNAL.get(platform, _INTERNAL["linux"])):
        size = 2048 + 1024 * i
        (internal / name).write_bytes(_filler(f"{app}:{platform}:{version}:{name}", size))
    return folder
