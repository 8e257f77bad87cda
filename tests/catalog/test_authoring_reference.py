"""docs/authoring.md's reference tables say what the code does: every generic credit key is listed, and the
plug-in API's Outcome has the fields the guide gives it."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from gradekit.check.credit import GENERIC_CREDIT
from gradekit.plugin import Outcome

GUIDE = (Path(__file__).parents[2] / "docs" / "authoring.md").read_text(encoding="utf-8")


def test_the_credit_table_lists_every_generic_key():
    table = GUIDE.split("### Credit beyond right and wrong", 1)[1].split("\n\n")[2]
    assert set(GENERIC_CREDIT) <= set(re.findall(r"^\| `(\w+)` \|", table, re.M))


def test_the_outcome_signature_is_the_records():
    api = GUIDE.split("### The plug-in API", 1)[1]
    signature = re.search(r"^Outcome\((.*?)\)$", api, re.S | re.M).group(1)
    assert re.findall(r"(\w+):", signature) == [f.name for f in dataclasses.fields(Outcome)]


def test_the_guide_says_a_parameter_is_required_without_naming_what_plugin_does_not_export():
    import gradekit.plugin as plugin

    api = GUIDE.split("### The plug-in API", 1)[1]
    named = set(re.findall(r"`([A-Z][A-Z_]+)`", api))  # constants the guide names
    assert named <= set(plugin.__all__), named - set(plugin.__all__)
