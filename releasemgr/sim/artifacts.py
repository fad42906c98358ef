"""Artifact zips on disk: built on first use from a recipe, or registered from a prebuilt file.

A zip holds what the job uploaded, relative to the upload root, as ``actions/upload-artifact``
makes it: for a release, ``<app>/...``, ``checksums.txt``, ``metadata.json`` and, for channel
releases, the channel files. Zips are deterministic (fixed timestamps), so a seed gives the same
digests every time. Nothing is held in memory: size and digest are read back from the file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from releasemgr.sim.entities import Artifact
from releasemgr.sim.standins import write_onedir

CHUNK = 1 << 20
_SHM = Path("/dev/shm")  # noqa: S108 - mkdtemp makes a private folder inside  # nosec B108
_STAGING: str | None = str(_SHM) if _SHM.is_dir() and os.access(_SHM, os.W_OK) else None


def file_digest(path: Path) -> tuple[int, str]:
    """Size and ``sha256:<hex>`` of a file, read in chunks."""
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            h.update(block)
            size += len(block)
    return size, f"sha256:{h.hexdigest()}"


class ArtifactStore:
    """Builds and keeps artifact zips in one directory; safe to call from many threads."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)
        self._guard = threading.Lock()
        self._locks: dict[int, threading.Lock] = {}

    def _lock(self, artifact_id: int) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(artifact_id, threading.Lock())

    def ensure(self, art: Artifact) -> Path:
        """The artifact's zip, building it first if this is its first use."""
        if art.path is not None:
            return art.path
        with self._lock(art.id):
            if art.path is None:
                path = self._build(art)
                art.size, art.digest = file_digest(path)
                art.path = path
        return art.path

    def register(self, art: Artifact, zip_path: Path) -> None:
        """Attach a prebuilt zip (not copied; it must stay in place while the simulator runs)."""
        art.size, art.digest = file_digest(zip_path)
        art.path = zip_path

    def _build(self, art: Artifact) -> Path:
        # Stage the tree in memory-backed storage when there is some: the release writer syncs
        # every file it writes, which on a slow disk costs more than the whole zip.
        tree = Path(tempfile.mkdtemp(prefix=f"tree-{art.id}-", dir=_STAGING))
        try:
            _write_content(tree, art)
            target = self.directory / f"{art.id}.zip"
            partial = target.with_suffix(".part")
            _zip_tree(tree, partial, art.created_at)
            partial.replace(target)
            return target
        finally:
            shutil.rmtree(tree, ignore_errors=True)


def _write_content(tree: Path, art: Artifact) -> None:
    recipe = art.recipe
    if art.kind == "monitor":
        text = json.dumps(recipe["report"], indent=2) + "\n"
        (tree / "monitoring-report.json").write_text(text, encoding="utf-8")
        return
    if art.kind == "test-report":
        text = json.dumps(recipe["report"], indent=2) + "\n"
        (tree / "test-report.json").write_text(text, encoding="utf-8")
        return
    app, platform = str(recipe["app"]), str(recipe["platform"])
    version, commit = str(recipe["version"]), str(recipe["commit"])
    write_onedir(tree, app, platform, version, commit)
    if art.kind == "build":
        return
    write_release_package(tree, recipe)
    if recipe.get("tamper"):
        # The monitor must catch this one: a byte changed after checksums were written.
        victim = tree / app / "_internal" / "base_library.zip"
        data = bytearray(victim.read_bytes())
        data[len(data) // 2] ^= 0xFF
        victim.write_bytes(bytes(data))


def write_release_package(tree: Path, recipe: dict[str, object]) -> None:
    """Write checksums.txt, metadata.json and channel files with the release formats' writer."""
    from releasemgr.release.package import write_package

    built = datetime.fromtimestamp(float(str(recipe["built_at"])), UTC)
    traffic = recipe.get("traffic")
    write_package(
        tree,
        app=str(recipe["app"]),
        platform=str(recipe["platform"]),
        version=str(recipe["version"]),
        commit=str(recipe["commit"]),
        ref=str(recipe.get("ref") or "") or None,
        run_id=int(str(recipe["run_id"])),
        run_attempt=int(str(recipe["run_attempt"])),
        channel=str(recipe["channel"]) if recipe.get("channel") else None,
        traffic=int(str(traffic)) if traffic is not None else None,
        built_at=built,
        # What the pipeline's runners report; fixed so a seed always gives the same zips.
        arch="arm64" if recipe["platform"] == "macos" else "x86_64",
        python="3.11.9",
        pyinstaller="6.6.0",
        workers=1,
    )


def _zip_tree(tree: Path, target: Path, created_at: float) -> None:
    stamp = datetime.fromtimestamp(max(created_at, 315_532_800), UTC).timetuple()[:6]
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(tree.rglob("*")):
            if not path.is_file():
                continue
            info = zipfile.ZipInfo(path.relative_to(tree).as_posix(), date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            mode = 0o755 if path.stat().st_mode & 0o100 else 0o644
            info.external_attr = (0o100000 | mode) << 16
            zf.writestr(info, path.read_bytes())
