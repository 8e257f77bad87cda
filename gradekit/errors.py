"""``gradekit.errors``, where family plug-ins import it from: the same module as ``gradekit.core.errors``."""

import sys

from gradekit.core import errors

sys.modules[__name__] = errors
