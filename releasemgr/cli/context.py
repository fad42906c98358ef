"""The I/O context every command receives instead of reaching for globals.

Built once in ``main()`` from the real process; tests build one around string buffers.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO


@dataclass
class Context:
    """Streams, terminal facts, environment and working directory for one command run."""

    stdin: TextIO
    stdout: TextIO
    stderr: TextIO
    env: Mapping[str, str]
    cwd: Path
    stdout_isatty: bool = False
    stderr_isatty: bool = False
    stdin_isatty: bool = False
    color: bool = False
    extras: dict[str, object] = field(default_factory=dict)

    @property
    def can_prompt(self) -> bool:
        """Whether a question may be asked on the terminal (stdin and stderr are a TTY)."""
        return self.stdin_isatty and self.stderr_isatty

    @classmethod
    def from_system(cls) -> Context:
        """The context of the real process."""
        env = dict(os.environ)
        out_tty = _isatty(sys.stdout)
        color = out_tty and "NO_COLOR" not in env and env.get("TERM") != "dumb"
        return cls(
            stdin=sys.stdin,
            stdout=sys.stdout,
            stderr=sys.stderr,
            env=env,
            cwd=Path.cwd(),
            stdout_isatty=out_tty,
            stderr_isatty=_isatty(sys.stderr),
            stdin_isatty=_isatty(sys.stdin),
            color=color,
        )

    @classmethod
    def for_test(
        cls,
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        stdin: str = "",
        tty: bool = False,
    ) -> Context:
        """A context over string buffers; read ``ctx.stdout.getvalue()`` afterwards."""
        return cls(
            stdin=io.StringIO(stdin),
            stdout=io.StringIO(),
            stderr=io.StringIO(),
            env=dict(env or {}),
            cwd=cwd or Path.cwd(),
            stdout_isatty=tty,
            stderr_isatty=tty,
            stdin_isatty=tty,
            color=tty,
        )


def _isatty(stream: TextIO | None) -> bool:
    try:
        return bool(stream is not None and stream.isatty())
    except (ValueError, AttributeError):
        return False
