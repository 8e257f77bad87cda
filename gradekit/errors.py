"""Deprecated: ``gradekit.errors`` is ``gradekit.core.errors`` under its old name; import from ``gradekit.plugin``.

Family plug-ins written before ``gradekit.plugin`` existed import this name (the README documented it), so it
stays as the same module object (``gradekit.errors is gradekit.core.errors``) and warns once, on first import.
"""

import sys
import warnings

from gradekit.core import errors

warnings.warn("gradekit.errors is deprecated: import what a family needs from gradekit.plugin",
              DeprecationWarning, stacklevel=2)
sys.modules[__name__] = errors
