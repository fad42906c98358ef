"""Bundle size and ``--version`` time of the frozen releasemgr, beside a naive PySide6 bundle.

Builds, with the same PyInstaller in the same run and in temporary folders:
  * releasemgr from ``releasemgr.spec`` (CLI + window, unused Qt pruned, ICU data trimmed);
  * a plain PySide6 hello-world window, built the naive way (``pyinstaller --windowed``), which
    answers ``--version`` after importing Qt as such a script would.
Prints both folder sizes, the median ``--version`` wall time of several runs of each, and the
size of each bundle's ICU data library (on Linux the spec bundles a trimmed one).
Goals: the releasemgr folder at most 120 MB on Linux, its ``--version`` under 0.5 s.

    python bench/bundle_bench.py [--runs 9] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZE_GOAL_MB = 120.0
VERSION_GOAL_S = 0.5

HELLO = """\
import sys

from PySide6.QtWidgets import QApplication, QLabel

if "--version" in sys.argv:
    print("hello 1.0")
    sys.exit(0)
app = QApplication(sys.argv)
label = QLabel("Hello, world")
label.show()
sys.exit(app.exec())
"""


def folder_mb(path: Path) -> float:
    """Apparent size of every regular file below ``path`` (links not followed), in MB."""
    total = sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())
    return total / 1e6


def icu_data_mb(path: Path) -> float | None:
    """Size of the bundle's ICU data library in MB (Linux bundles carry one), else None."""
    found = [p for p in path.rglob("libicudata.so.*") if p.is_file() and not p.is_symlink()]
    return sum(p.stat().st_size for p in found) / 1e6 if found else None


def pyinstaller(args: list[str], work: Path) -> float:
    """Run PyInstaller from this interpreter; seconds it took."""
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "ERROR",
            "--distpath",
            str(work / "dist"),
            "--workpath",
            str(work / "build"),
            *args,
        ],
        cwd=work,
        check=True,
    )
    return time.perf_counter() - started


def median_run(exe: Path, runs: int) -> tuple[float, str]:
    """Median wall time of ``exe --version`` over ``runs`` runs (after one warm-up), and output."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, env=env, check=True)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([exe, "--version"], capture_output=True, env=env, check=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times), out.stdout.strip()


def main() -> int:
    """Build both bundles, measure, print a table; exit 1 when a goal is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="timed --version runs per bundle")
    parser.add_argument("--keep", type=Path, help="copy both bundles here for inspection")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bundle-bench-") as tmp:
        work = Path(tmp)
        mine, naive = work / "releasemgr", work / "hello"
        mine.mkdir()
        naive.mkdir()
        (naive / "hello.py").write_text(HELLO, encoding="utf-8")

        build_mine = pyinstaller([str(ROOT / "releasemgr.spec")], mine)
        build_naive = pyinstaller(["--windowed", "--name", "hello", "hello.py"], naive)
        mine_dir, naive_dir = mine / "dist" / "releasemgr", naive / "dist" / "hello"
        mine_mb, naive_mb = folder_mb(mine_dir), folder_mb(naive_dir)
        icu = icu_data_mb(mine_dir), icu_data_mb(naive_dir)
        mine_s, mine_out = median_run(mine_dir / "releasemgr", args.runs)
        naive_s, _ = median_run(naive_dir / "hello", args.runs)
        if args.keep:
            for d in (mine_dir, naive_dir):
                shutil.copytree(d, args.keep / d.name, symlinks=True, dirs_exist_ok=True)

    import PyInstaller

    print(
        f"PyInstaller {PyInstaller.__version__}, Python {sys.version.split()[0]}, "
        f"{sys.platform}; {args.runs} timed runs each (median)"
    )
    print(f"{'bundle':<28}{'folder MB':>10}{'--version s':>13}{'build s':>9}")
    print(f"{'releasemgr (releasemgr.spec)':<28}{mine_mb:>10.1f}{mine_s:>13.3f}{build_mine:>9.0f}")
    print(f"{'naive PySide6 hello world':<28}{naive_mb:>10.1f}{naive_s:>13.3f}{build_naive:>9.0f}")
    print(f"releasemgr / naive: size {mine_mb / naive_mb:.2f}x, --version {mine_s / naive_s:.2f}x")
    print(f"releasemgr --version printed: {mine_out!r}")
    if icu[0] is not None and icu[1] is not None:
        print(f"ICU data library: releasemgr {icu[0]:.1f} MB (trimmed), naive {icu[1]:.1f} MB")
    size_ok, time_ok = mine_mb <= SIZE_GOAL_MB, mine_s < VERSION_GOAL_S
    print(
        f"goal folder <= {SIZE_GOAL_MB:.0f} MB: {'met' if size_ok else 'MISSED'}; "
        f"goal --version < {VERSION_GOAL_S} s: {'met' if time_ok else 'MISSED'}"
    )
    return 0 if size_ok and time_ok else 1


if __name__ == "__main__":
    sys.exit(main())
