"""Answer keys in Markdown with LaTeX math: every problem's statement, worked steps and answers.

The steps are the family's own ``Step``s (their ``latex`` when they have one),
so the key shows the numbers the grader compares against, for the spec's
params or one student's variant.

>>> from gradekit.catalog.catalog import load_catalog
>>> md = answer_key(load_catalog(), "ece661-hw1")
>>> md.startswith("# Answer key: ece661-hw1") and "116" in md
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from gradekit.core.records import points
from gradekit.core.texfmt import tex, text
from gradekit.core.vocab import PartKind

if TYPE_CHECKING:
    from gradekit.core.records import Problem
    from gradekit.catalog.catalog import Catalog


def _answer(value: Any) -> str:
    if isinstance(value, str):
        return value.replace("|", "\\|")
    try:
        return f"${tex(value)}$"
    except (TypeError, ValueError):
        return text(value).replace("|", "\\|")


def problem_key(catalog: Catalog, problem: Problem) -> str:
    """One problem's section of the key (``problem`` already the right variant)."""
    sol = catalog.solve(problem)
    out = [f"## {problem.qualified_id}: {problem.title}", "", problem.statement, ""]
    if sol.steps:
        out += ["### Worked solution", ""]
        for i, step in enumerate(sol.steps, 1):
            out.append(f"**Step {i}. {step.title}.**")
            out.append("")
            out.append(f"$$ {step.latex} $$" if step.latex else step.text)
            out.append("")
    out += ["### Answers", "", "| part | points | answer |", "|---|---|---|"]
    for part in problem.parts:
        shown = "graded by hand" if part.kind == PartKind.MANUAL and part.name not in sol.answers \
            else _answer(sol.answers.get(part.name))
        out.append(f"| `{part.name}` | {part.points:g} | {shown} |")
    return "\n".join(out) + "\n"


def answer_key(catalog: Catalog, assignment: str, student: str | None = None, ids: list[str] | None = None) -> str:
    """The whole worked key of ``assignment`` (or of ``ids``), for ``student``'s variant when given."""
    from gradekit.catalog.variants import variant

    a = catalog.assignment(assignment)
    problems = [catalog.resolve(i, assignment) for i in ids] if ids else list(a.problems)
    who = f" (variant of student {student})" if student else ""
    head = [f"# Answer key: {a.name}{who}", "", f"{a.title}", "",
            f"Total: {points(sum(p.max_score for p in problems))}.", ""]
    return "\n".join(head) + "\n" + "\n".join(problem_key(catalog, variant(catalog, p, student)) for p in problems)


# -- the same key as a LaTeX document an instructor can compile and print --------------------------------------

# Unicode that statements and steps use, as LaTeX math (text mode wraps it in $...$).
_UNICODE_MATH = {"→": r"\to", "←": r"\leftarrow", "×": r"\times", "·": r"\cdot", "∂": r"\partial", "θ": r"\theta",
                 "½": r"\frac12", "²": "^2", "³": "^3", "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "σ": r"\sigma",
                 "μ": r"\mu", "ε": r"\varepsilon", "λ": r"\lambda", "η": r"\eta", "∘": r"\circ", "⊙": r"\odot",
                 "±": r"\pm", "ᵀ": r"^\top", "Σ": r"\Sigma", "ŷ": r"\hat y", "≤": r"\le", "≥": r"\ge",
                 "≈": r"\approx", "∈": r"\in", "−": "-", "°": r"^\circ", "⌊": r"\lfloor", "⌋": r"\rfloor",
                 "∞": r"\infty", "√": r"\surd", "∑": r"\sum", "ℝ": r"\mathbb{R}"}
_UNICODE_TEXT = {"§": r"\S{}", "–": "--", "—": "---", "…": r"\ldots{}", "’": "'", "“": "``", "”": "''"}
_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
            "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def _latex_plain(s: str) -> str:
    """Text for LaTeX's text mode: specials escaped, Unicode as LaTeX, anything else unknown dropped."""
    import unicodedata

    out = []
    for ch in s:
        if ch in _SPECIAL:
            out.append(_SPECIAL[ch])
        elif ch in _UNICODE_MATH:
            out.append(f"${_UNICODE_MATH[ch]}$")
        elif ch in _UNICODE_TEXT:
            out.append(_UNICODE_TEXT[ch])
        elif ord(ch) < 128:
            out.append(ch)
        else:  # a letter with an accent keeps its letter; other symbols go
            out.append(unicodedata.normalize("NFKD", ch).encode("ascii", "ignore").decode())
    return "".join(out)


def _latex_math(s: str) -> str:
    """Math as written, with its Unicode symbols as LaTeX commands."""
    out = []
    for ch in s:
        if ch in _UNICODE_MATH:
            out.append(" " + _UNICODE_MATH[ch] + " ")
        elif ord(ch) < 128:
            out.append(ch)
    return "".join(out)


def latex_text(markdown: str) -> str:
    """A statement (Markdown with ``$math$``, ``code`` and **bold**) as LaTeX text."""
    import re

    parts = re.split(r"(\$\$.*?\$\$|\$[^$]+\$|`[^`]*`|\*\*[^*]+\*\*)", markdown, flags=re.S)
    out = []
    for part in parts:
        if part.startswith("$$"):
            out.append(r"\[" + _latex_math(part[2:-2]) + r"\]")
        elif part.startswith("$") and len(part) > 1:
            out.append("$" + _latex_math(part[1:-1]) + "$")
        elif part.startswith("`") and part.endswith("`") and len(part) > 1:
            out.append(r"\texttt{" + _latex_plain(part[1:-1]) + "}")
        elif part.startswith("**") and part.endswith("**") and len(part) > 4:
            out.append(r"\textbf{" + _latex_plain(part[2:-2]) + "}")
        else:
            out.append(_latex_plain(part))
    return "".join(out).replace("\n\n", "\n\n\\medskip\n")


def problem_latex(catalog: Catalog, problem: Problem) -> str:
    """One problem's section of the LaTeX key (``problem`` already the right variant)."""
    sol = catalog.solve(problem)
    out = [rf"\section*{{{_latex_plain(problem.qualified_id)}: {_latex_plain(problem.title)}}}", "",
           latex_text(problem.statement.strip()), ""]
    if sol.steps:
        out += [r"\subsection*{Worked solution}", r"\begin{enumerate}"]
        for step in sol.steps:
            body = (r"\[" + _latex_math(step.latex) + r"\]") if step.latex else _latex_plain(step.text)
            out += [rf"\item \textbf{{{_latex_plain(step.title)}.}} " + body]
        out += [r"\end{enumerate}"]
    out += [r"\subsection*{Answers}", r"\begin{itemize}"]
    for part in problem.parts:
        value = sol.answers.get(part.name)
        if part.kind == PartKind.MANUAL and part.name not in sol.answers:
            shown = "graded by hand"
        elif isinstance(value, str):
            shown = _latex_plain(value)
        else:
            try:
                shown = "$" + _latex_math(tex(value)) + "$"
            except (TypeError, ValueError):
                shown = _latex_plain(text(value))
        out.append(rf"\item \texttt{{{_latex_plain(part.name)}}} ({points(part.points)}): {shown}")
    out += [r"\end{itemize}", ""]
    return "\n".join(out)


def latex_key(catalog: Catalog, assignment: str, student: str | None = None, ids: list[str] | None = None) -> str:
    """The worked key of ``assignment`` (or of ``ids``) as a whole LaTeX document, for pdflatex."""
    from gradekit.catalog.variants import variant

    a = catalog.assignment(assignment)
    problems = [catalog.resolve(i, assignment) for i in ids] if ids else list(a.problems)
    who = f" (variant of student {student})" if student else ""
    head = [r"\documentclass[11pt]{article}", r"\usepackage[utf8]{inputenc}", r"\usepackage[T1]{fontenc}",
            r"\usepackage{amsmath,amssymb}", r"\usepackage[margin=2cm]{geometry}", r"\setcounter{MaxMatrixCols}{40}",
            r"\allowdisplaybreaks", r"\setlength{\parindent}{0pt}",
            rf"\title{{Answer key: {_latex_plain(a.name)}{_latex_plain(who)}}}",
            rf"\author{{{_latex_plain(a.title)}}}", r"\date{}", r"\begin{document}", r"\maketitle",
            rf"Total: {points(sum(p.max_score for p in problems))}.", ""]
    body = [problem_latex(catalog, variant(catalog, p, student)) for p in problems]
    return "\n".join(head) + "\n" + "\n".join(body) + "\n\\end{document}\n"
