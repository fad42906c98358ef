"""Walk a package folder: every regular file with its root-relative path, and what is wrong.

Links are followed the way ``sha256sum`` and ``upload-artifact`` follow them, as long as they
stay inside the root; a link that leaves the root, dangles or loops is reported, never followed.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from releasemgr.errors import InputError

# Links inside the root are followed, and links that fan out to the same folders multiply
# files without ever looping; a real onedir bundle holds a few thousand.
MAX_FILES = 1_000_000


@dataclass(frozen=True)
class TreeFile:
    """A regular file (or a link to one inside the root) found in the tree."""

    path: str
    fs_path: Path
    size: int


@dataclass(frozen=True)
class TreeProblem:
    """Something in the tree that is not a plain file: ``kind`` is 'outside', 'dangling',
    'loop', 'special', 'unreadable' or 'name'."""

    path: str
    kind: str
    detail: str


@dataclass
class Tree:
    """The result of a walk: files by path, and problems found on the way."""

    files: dict[str, TreeFile] = field(default_factory=dict)
    problems: list[TreeProblem] = field(default_factory=list)

    def problem_for(self, path: str) -> TreeProblem | None:
        """The problem recorded at ``path`` or at one of its parent folders."""
        for problem in self.problems:
            if path == problem.path or path.startswith(problem.path + "/"):
                return problem
        return None


def _inside(real: str, real_root: str) -> bool:
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def scan_tree(root: Path, *, skip_top: frozenset[str] = frozenset()) -> Tree:
    """Walk ``root``; ``skip_top`` names files at the top level to leave out (checksums.txt).

    Raises ``InputError`` when ``root`` itself is not a readable folder.
    """
    try:
        real_root = os.path.realpath(root, strict=True)
    except OSError as exc:
        raise InputError(f"{root}: cannot be read ({exc.strerror or exc})") from None
    if not Path(real_root).is_dir():
        raise InputError(f"{root}: is not a folder")
    tree = Tree()
    _walk(Path(root), "", real_root, (real_root,), tree, skip_top)
    return tree


def _walk(
    folder: Path,
    prefix: str,
    real_root: str,
    ancestors: tuple[str, ...],
    tree: Tree,
    skip_top: frozenset[str],
) -> None:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        tree.problems.append(
            TreeProblem(prefix.rstrip("/") or ".", "unreadable", exc.strerror or str(exc))
        )
        return
    for entry in entries:
        if not prefix and entry.name in skip_top:
            continue
        rel = prefix + entry.name
        try:
            rel.encode("utf-8")
        except UnicodeEncodeError:
            shown = rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            tree.problems.append(TreeProblem(shown, "name", "file name is not valid UTF-8"))
            continue
        fs_path = Path(entry.path)
        try:
            if entry.is_symlink():
                real = os.path.realpath(entry.path)
                if not _inside(real, real_root):
                    target = str(fs_path.readlink())
                    tree.problems.append(
                        TreeProblem(rel, "outside", f"link to {target!r} points outside the root")
                    )
                    continue
                if not Path(real).exists():
                    target = str(fs_path.readlink())
                    tree.problems.append(
                        TreeProblem(rel, "dangling", f"link to {target!r} dangles")
                    )
                    continue
            st = fs_path.stat()
        except OSError as exc:
            tree.problems.append(TreeProblem(rel, "unreadable", exc.strerror or str(exc)))
            continue
        if stat.S_ISDIR(st.st_mode):
            real = os.path.realpath(entry.path)
            if real in ancestors:
                tree.problems.append(TreeProblem(rel, "loop", "link loops back to a parent folder"))
                continue
            _walk(fs_path, rel + "/", real_root, (*ancestors, real), tree, skip_top)
        elif stat.S_ISREG(st.st_mode):
            tree.files[rel] = TreeFile(rel, fs_path, st.st_size)
            if len(tree.files) > MAX_FILES:
                raise InputError(
                    f"{fs_path}: more than {MAX_FILES} files under the root "
                    "(links fanning out to the same folders?)"
                )
        else:
            tree.problems.append(TreeProblem(rel, "special", "not a regular file"))
