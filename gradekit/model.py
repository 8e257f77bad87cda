"""``gradekit.model``, where family plug-ins import it from: the same module as ``gradekit.core.records``."""

import sys

from gradekit.core import records

sys.modules[__name__] = records
