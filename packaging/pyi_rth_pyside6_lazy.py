"""PyInstaller run-time hook: PyInstaller's PySide6 hook, with its one expensive step deferred.

The stock hook (``pyi_rth_pyside6``) imports ``PySide6.QtCore`` at start-up only to check for an
embedded ``qt.conf``; that loads Qt and ICU and costs about 0.1 s, even for ``releasemgr
--version``, which never touches Qt. This hook sets the same environment at once and runs that
check right after the program's first import of ``PySide6.QtCore``, before any QApplication can
exist. ``releasemgr.spec`` swaps it in for the stock hook.
"""


def _pyi_rthook():
    import importlib.abc
    import importlib.util
    import os
    import sys
    from pathlib import Path

    from _pyi_rth_utils import is_macos_app_bundle, prepend_path_to_environment_variable
    from _pyi_rth_utils import qt as qt_rth_utils

    qt_rth_utils.ensure_single_qt_bindings_package("PySide6")
    qt = Path(sys._MEIPASS, "PySide6")
    qt_path = str(qt if sys.platform.startswith("win") else qt / "Qt")
    os.environ["QT_PLUGIN_PATH"] = str(Path(qt_path, "plugins"))
    os.environ["QML2_IMPORT_PATH"] = str(Path(qt_path, "qml"))
    if sys.platform.startswith("win"):
        prepend_path_to_environment_variable(sys._MEIPASS, "PATH")
    if sys.platform == "darwin" and not is_macos_app_bundle:
        prepend_path_to_environment_variable(sys._MEIPASS, "DYLD_LIBRARY_PATH")

    class AfterQtCore(importlib.abc.MetaPathFinder):
        """Finds nothing itself; wraps the real loader of PySide6.QtCore to run the check after."""

        def find_spec(self, name, path=None, target=None):
            if name != "PySide6.QtCore":
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(name)
            if spec is None or spec.loader is None:
                return spec
            execute = spec.loader.exec_module

            def exec_module(module):
                execute(module)
                qt_rth_utils.create_embedded_qt_conf("PySide6", qt_path)

            spec.loader.exec_module = exec_module
            return spec

    sys.meta_path.insert(0, AfterQtCore())


_pyi_rthook()
del _pyi_rthook
