"""``gradekit.params``, where family plug-ins import it from: the same module as ``gradekit.core.params``."""

import sys

from gradekit.core import params

sys.modules[__name__] = params
