"""Bundle-only runtime hook: pyqtgraph imports PySide6.QtOpenGL and QtOpenGLWidgets when it
loads, for its OpenGL items (PColorMeshItem, RawImageGLWidget) that pwtray never uses. Those two
Qt modules weigh 9 MB; the bundle leaves them out and these placeholders satisfy the imports.
Using an OpenGL item would fail loudly (no attribute), and `pwtray --selftest` draws the charts."""

import sys
import types

from PySide6 import QtWidgets

for _name in ("PySide6.QtOpenGL", "PySide6.QtOpenGLWidgets"):
    if _name not in sys.modules:
        sys.modules[_name] = types.ModuleType(_name, "left out of the pwtray bundle")
sys.modules["PySide6.QtOpenGLWidgets"].QOpenGLWidget = QtWidgets.QWidget  # type: ignore[attr-defined]
