"""Deprecated: ``gradekit.model`` is ``gradekit.core.records`` under its old name; import from ``gradekit.plugin``.

Family plug-ins written before ``gradekit.plugin`` existed import this name (the README documented it), so it
stays as the same module object (``gradekit.model is gradekit.core.records``) and warns once, on first import.
"""

import sys
import warnings

from gradekit.core import records

warnings.warn("gradekit.model is deprecated: import what a family needs from gradekit.plugin",
              DeprecationWarning, stacklevel=2)
sys.modules[__name__] = records
