"""packaging/icu_trim.py: the trimmed ICU data library the spec bundles on Linux.

Run against the ICU library of the installed PySide6 wheel (Linux only, where it ships ICU).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHECK_HOOK = ROOT / "packaging" / "pyi_rth_icu_check.py"


def _load_icu_trim() -> ModuleType:
    spec = importlib.util.spec_from_file_location("icu_trim", ROOT / "packaging" / "icu_trim.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


icu_trim = _load_icu_trim()


def _pyside_icu() -> Path | None:
    spec = importlib.util.find_spec("PySide6")
    if spec is None or spec.origin is None:
        return None
    found = sorted((Path(spec.origin).parent / "Qt" / "lib").glob("libicudata.so.*"))
    return found[0] if found else None


ICU = _pyside_icu()
pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or ICU is None, reason="PySide6 ships ICU on Linux only"
)
needs_cc = pytest.mark.skipif(
    shutil.which("gcc") is None and shutil.which("cc") is None, reason="no C compiler"
)


@pytest.fixture(scope="module")
def original() -> tuple[str, bytes]:
    """The symbol name and common data of PySide6's ICU data library."""
    assert ICU is not None
    return icu_trim.read_common_data(ICU)


@pytest.fixture(scope="module")
def trimmed(original: tuple[str, bytes]) -> tuple[bytes, list[str]]:
    """The trimmed blob and the names of the items it left out."""
    return icu_trim.trim(original[1])


def _names(blob: bytes) -> dict[str, bytes]:
    return {name.split("/", 1)[1]: data for name, data in icu_trim.parse_toc(blob)[1]}


def test_untouched_package_rebuilds_byte_for_byte(original: tuple[str, bytes]) -> None:
    symbol, blob = original
    assert symbol.startswith("icudt") and symbol.endswith("_dat")
    header_size, items = icu_trim.parse_toc(blob)
    assert len(items) > 1000
    assert icu_trim.build_blob(blob[:header_size], items) == blob


def test_trimmed_keeps_what_qt_uses_unchanged(
    original: tuple[str, bytes], trimmed: tuple[bytes, list[str]]
) -> None:
    before, after = _names(original[1]), _names(trimmed[0])
    assert set(after) < set(before)
    assert all(after[name] == before[name] for name in after)
    collation = {name for name in before if name.startswith("coll/")}
    assert collation <= set(after)
    for name in ("cnvalias.icu", "root.res", "en.res", "res_index.res", "pool.res"):
        assert name in after
    assert {"zoneinfo64.res", "metaZones.res", "zone/en.res", "zone/root.res"} <= set(after)


def test_trimmed_drops_what_qt_never_asks_for(trimmed: tuple[bytes, list[str]]) -> None:
    after = _names(trimmed[0])
    dropped = {name.split("/", 1)[1] for name in trimmed[1]}
    for prefix in ("brkitr/", "translit/", "curr/", "lang/", "region/", "unit/", "rbnf/"):
        assert not any(name.startswith(prefix) for name in after), prefix
        assert any(name.startswith(prefix) for name in dropped), prefix
    assert "de.res" in dropped and "zone/de.res" in dropped and "unames.icu" in dropped
    assert len(trimmed[0]) < len(b"".join(after.values())) + 64 * 1024


def test_converters_kept_are_exactly_the_single_byte_tables(
    original: tuple[str, bytes], trimmed: tuple[bytes, list[str]]
) -> None:
    before, after = _names(original[1]), _names(trimmed[0])
    for name, data in before.items():
        if not name.endswith(".cnv"):
            continue
        header_size = struct.unpack_from("<H", data, 0)[0]
        max_bytes = data[header_size + 71]
        assert (name in after) == (max_bytes == 1), name


def test_table_is_sorted_and_items_aligned(trimmed: tuple[bytes, list[str]]) -> None:
    blob = trimmed[0]
    header_size = struct.unpack_from("<H", blob, 0)[0]
    count = struct.unpack_from("<I", blob, header_size)[0]
    entries = [struct.unpack_from("<II", blob, header_size + 4 + 8 * i) for i in range(count)]
    names = [blob[header_size + at : blob.index(b"\0", header_size + at)] for at, _data in entries]
    assert names == sorted(names)
    assert all((header_size + data) % 16 == 0 for _name, data in entries)


def test_icupkg_reads_the_trimmed_package(trimmed: tuple[bytes, list[str]], tmp_path: Path) -> None:
    icupkg = shutil.which("icupkg")
    if icupkg is None:
        pytest.skip("icupkg (Debian icu-devtools) not installed")
    prefix = next(iter(icu_trim.parse_toc(trimmed[0])[1]))[0].split("/", 1)[0]
    package = tmp_path / f"{prefix}.dat"
    package.write_bytes(trimmed[0])
    listed = subprocess.run([icupkg, "-l", str(package)], capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    assert sorted(listed.stdout.split()) == sorted(_names(trimmed[0]))


def test_not_icu_data_is_refused() -> None:
    with pytest.raises(icu_trim.IcuTrimError, match="not little-endian ICU common data"):
        icu_trim.parse_toc(b"\x80\x00" + b"\0" * 200)
    assert ICU is not None
    other = ICU.with_name("libicuuc.so." + ICU.name.rsplit(".so.", 1)[1])
    if other.is_file():
        with pytest.raises(icu_trim.IcuTrimError, match="exports no icudtNN_dat symbol"):
            icu_trim.read_common_data(other)


def _icu_check(library: Path) -> subprocess.CompletedProcess[str]:
    """The bundle's ICU check run by this Python, with ``library`` loaded in place of ICU's."""
    env = {
        **os.environ,
        "LD_PRELOAD": str(library),
        "RELEASEMGR_BUNDLE_CHECK": "icu",
        "QT_QPA_PLATFORM": "offscreen",
    }
    return subprocess.run(
        [sys.executable, str(CHECK_HOOK)], capture_output=True, text=True, env=env, timeout=60
    )


@needs_cc
def test_built_library_holds_the_trimmed_data_and_qt_works_with_it(
    original: tuple[str, bytes], trimmed: tuple[bytes, list[str]], tmp_path: Path
) -> None:
    assert ICU is not None
    built, before, after = icu_trim.build_trimmed(ICU, tmp_path)
    assert built.name == ICU.name and icu_trim.soname(built) == icu_trim.soname(ICU)
    assert icu_trim.read_common_data(built) == (original[0], trimmed[0])
    assert (before, after) == (len(original[1]), len(trimmed[0]))
    assert built.stat().st_size < ICU.stat().st_size / 4
    result = _icu_check(built)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.endswith("icu check passed\n") and result.stderr == ""


@needs_cc
def test_icu_check_fails_when_the_data_is_gone(original: tuple[str, bytes], tmp_path: Path) -> None:
    symbol, blob = original
    bare, _dropped = icu_trim.trim(blob, lambda name, _data: name == "cnvalias.icu")
    assert ICU is not None
    library = tmp_path / ICU.name
    icu_trim.assemble(symbol, bare, icu_trim.soname(ICU), library)
    result = _icu_check(library)
    assert result.returncode == 1
    assert "FAIL collation en_US" in result.stdout and "FAIL codec windows-1252" in result.stdout
    assert "icu check FAILED: " in result.stdout.splitlines()[-1]


def test_without_a_compiler_the_build_says_so_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert ICU is not None
    with pytest.raises(icu_trim.IcuTrimError, match="no C compiler"):
        icu_trim.build_trimmed(ICU, tmp_path / "out")
    assert not (tmp_path / "out").exists()
