"""``gradekit.texfmt``, where family plug-ins import it from: the same module as ``gradekit.core.texfmt``."""

import sys

from gradekit.core import texfmt

sys.modules[__name__] = texfmt
