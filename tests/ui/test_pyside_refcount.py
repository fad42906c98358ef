"""Signals carrying bools must not leak references to True/False.

PySide6 6.12.0 decrefs the bool on every emission; after a few thousand busy/idle signals the
interpreter aborts with "bool_dealloc". pyproject.toml excludes that release; this keeps it out.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, Signal


class _Emitter(QObject):
    flag = Signal(bool)
    value = Signal(object)


def test_bool_signals_keep_the_refcount_of_true_and_false() -> None:
    emitter = _Emitter()
    seen: list[bool] = []
    emitter.flag.connect(seen.append)
    emitter.value.connect(lambda v: seen.append(bool(v)))
    before = sys.getrefcount(True), sys.getrefcount(False)
    for _ in range(200):  # few enough that a leaking build cannot reach zero and abort here
        emitter.flag.emit(True)
        emitter.flag.emit(False)
        emitter.value.emit(True)
    after = sys.getrefcount(True), sys.getrefcount(False)
    # The list holds 400 references to True and 200 to False; nothing else may change.
    assert (after[0] - before[0], after[1] - before[1]) == (400, 200)
    assert seen.count(True) == 400
