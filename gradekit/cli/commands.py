"""The command line: parse options, call the library, print. Nothing else lives here.

Exit codes: 0 full marks (or success), 1 graded but not full marks, 2 bad input,
3 a fault of the grader or its machine (``GraderError``: isolation refused, gradekit failed).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from gradekit.cli.shell import LazyGroup, emit_json, handles_errors, rich_console, warn_weak
from gradekit.core.untrusted import printable


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]},
             # each in its own module, imported only when run: train imports torch, autograder builds wheels
             lazy_subcommands={"train": "gradekit.cli.train:train", "autograder": "gradekit.cli.autograder:autograder",
                               "handout": "gradekit.cli.handout:handout", "cluster": "gradekit.cli.cluster:cluster"})
@click.version_option(package_name="gradekit")
@click.option("--require-isolation", is_flag=True,
              help="Refuse to run student code where only weak isolation can be had (see `gradekit doctor`).")
@click.option("--problems", "problem_dirs", multiple=True, type=click.Path(path_type=Path, file_okay=False),
              help="A folder of your own assignments (or one assignment) to add to the catalog; repeatable. "
                   "Also GRADEKIT_PROBLEMS (a path list).")
def main(require_isolation: bool, problem_dirs: tuple[Path, ...]) -> None:
    """Check machine-learning homework against reference solutions."""
    import os

    # Through the environment, so batch workers, bundles and children of children see them too.
    if require_isolation:
        os.environ["GRADEKIT_REQUIRE_ISOLATION"] = "1"
    if problem_dirs:
        known = [p for p in os.environ.get("GRADEKIT_PROBLEMS", "").split(os.pathsep) if p]
        os.environ["GRADEKIT_PROBLEMS"] = os.pathsep.join(known + [str(p.resolve()) for p in problem_dirs])


@main.command()
@click.option("--require", is_flag=True,
              help="Exit 3 unless student code gets strong isolation here (a jail, or the confined level).")
@click.option("--json", "as_json", is_flag=True)
def doctor(require: bool, as_json: bool) -> None:
    """Say what isolation student code gets on this machine, and what is missing."""
    from gradekit.sandbox.box import describe

    d = describe()
    if as_json:
        emit_json(d)
    elif d["level"] == "refused":
        click.echo(f"isolation: refused — {d['why']}")
    else:
        click.echo(d["line"])
        click.echo(f"level: {d['kind']}" + (f"; Landlock: {'on' if d['landlock'] else 'off'}"
                                            if d["kind"] == "confined" else ""))
        uid = d["uid"] if d["uid"] is not None else "the grader's own"
        click.echo(f"uid: {uid}; "
                   f"cgroups: {', '.join(d['cgroups']) or 'none (rlimits and the process group only)'}")
        if d.get("memory"):
            click.echo(f"memory: {d['memory']}")
    if d.get("orphans") and not as_json:
        click.echo(f"orphans: {d['orphans']}")
    if d["level"] == "refused" or (require and d["level"] != "strong"):
        sys.exit(3)


@main.command()
@click.argument("folders", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@handles_errors
def validate(folders: tuple[Path, ...], as_json: bool) -> None:
    """Load every spec (of FOLDERS, else the whole catalog), solve every problem and a few student variants."""
    from gradekit.catalog.validate import validate as run

    rows, errors = run(list(folders) or None)
    if as_json:
        emit_json({"assignments": [r.__dict__ for r in rows], "errors": errors})
    else:
        from rich.table import Table

        table = Table(title="Assignments", title_justify="left")
        for col in ("assignment", "problems", "parts", "points", "by hand", "status"):
            table.add_column(col, justify="right" if col in ("problems", "parts", "points", "by hand") else "left")
        for r in rows:
            style = "green" if r.status == "ok" else "bold red"
            table.add_row(r.assignment, str(r.problems), str(r.parts), f"{r.points:g}", f"{r.by_hand:g}",
                          f"[{style}]{r.status}[/]")
        rich_console().print(table)
        for e in errors:
            click.echo(e)
    sys.exit(2 if errors else 0)


@main.command()
@click.option("--json", "as_json", is_flag=True)
@handles_errors
def families(as_json: bool) -> None:
    """List the exercise families a problem spec can use, one line each."""
    from gradekit.catalog.catalog import load_catalog
    from gradekit.catalog.family_docs import families_table

    rows = families_table(load_catalog())
    if as_json:
        emit_json(rows)
        return
    from rich.table import Table

    table = Table(expand=False)
    for col in ("family", "what", "example"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["family"], r["about"], r["example"])
    rich_console().print(table)


@main.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@handles_errors
def family(name: str, as_json: bool) -> None:
    """What family NAME takes (parameters), gives (parts) and names (mistakes), with a spec to start from."""
    from gradekit.catalog.catalog import load_catalog
    from gradekit.catalog.family_docs import family_doc

    doc = family_doc(load_catalog(), name)
    if as_json:
        emit_json(doc)
        return
    out = [f"{doc['family']}: {doc['about']}", "", "Parameters (name: type, shape; default — meaning):"]
    out += [f"  {p['name']}: {p['type']}" + (f", {p['shape']}" if p["shape"] else "") + f"; {p['default']} — "
            f"{p['meaning']}" for p in doc["params"]] or ["  (none)"]
    out += ["", "Conventions (each set by a parameter):"] + [f"  {c}" for c in doc["conventions"]] + (
        [] if doc["conventions"] else ["  (none to choose)"])
    if doc["carries_forward"]:
        out += ["", "Carries forward: a later part is recomputed from a student's own earlier answers "
                    "(partial = { carried_forward = credit })."]
    if doc["example"]:
        out += ["", "Parts it can produce (name: kind):"] + [f"  {p['name']}: {p['kind']}" for p in doc["parts"]]
        out += ["", "Mistakes it names (partial = { ID = credit } gives credit for one):"]
        out += [f"  {m['id']}: {m['message']}" for m in doc["mistakes"]] or ["  (none)"]
        out += ["", f"Example spec ({doc['example']}; gradekit new problem {doc['family']} writes it as a start):", "",
                doc["spec"]]
    click.echo("\n".join(out))


@main.group()
def new() -> None:
    """Starting files for your own assignments (they validate as written)."""


@new.command("assignment")
@click.argument("name")
@click.option("--title", help="The assignment's title (default: its name).")
@click.option("--dir", "folder", type=click.Path(path_type=Path), default=Path("."), show_default=True,
              help="Where the assignment's folder goes.")
@handles_errors
def new_assignment_cmd(name: str, title: str | None, folder: Path) -> None:
    """Write NAME/assignment.toml."""
    from gradekit.catalog.family_docs import new_assignment

    click.echo(f"wrote {new_assignment(folder, name, title)}")


@new.command("problem")
@click.argument("family_name", metavar="FAMILY")
@click.option("--id", "pid", required=True, help="The problem's id (the file's name).")
@click.option("--dir", "folder", type=click.Path(path_type=Path), default=Path("."), show_default=True,
              help="The assignment folder it goes in.")
@handles_errors
def new_problem_cmd(family_name: str, pid: str, folder: Path) -> None:
    """Write ID.toml in an assignment folder, started from FAMILY's example spec."""
    from gradekit.catalog.catalog import load_catalog
    from gradekit.catalog.family_docs import new_problem

    click.echo(f"wrote {new_problem(load_catalog(), folder, family_name, pid)}")


@new.command("module")
@click.option("--starter", type=click.Path(path_type=Path, exists=True, dir_okay=False), required=True,
              help="The course's starter file: what students receive.")
@click.option("--solution", type=click.Path(path_type=Path, exists=True, dir_okay=False), required=True,
              help="Your solution: the starter, filled in.")
@click.option("--id", "pid", required=True, help="The problem's id (the spec file's name).")
@click.option("--file", "file", help="The file students hand in (default: the starter's name).")
@click.option("--dir", "folder", type=click.Path(path_type=Path), default=Path("."), show_default=True,
              help="The assignment folder it goes in.")
@handles_errors
def new_module_cmd(starter: Path, solution: Path, pid: str, file: str | None, folder: Path) -> None:
    """Write ID.toml, a code problem, from the course's starter and your solution (copied beside it)."""
    from gradekit.catalog.module_spec import new_module

    click.echo(f"wrote {new_module(folder, pid, starter, solution, file)}; state the inputs' shapes and sizes in "
               f"its [code.dims] and [code.inputs], then: gradekit validate")


@main.command("list")
@click.argument("assignment", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print the catalog as JSON.")
@handles_errors
def list_cmd(assignment: str | None, as_json: bool) -> None:
    """List the catalog's problems (of one ASSIGNMENT, or all)."""
    from gradekit.catalog.catalog import load_catalog

    from gradekit.catalog.solution import reference_label

    problems = load_catalog().problems(assignment)
    if as_json:
        emit_json(
            [
                {"id": p.id, "assignment": p.assignment, "title": p.title, "family": reference_label(p.family), "parts": [x.name for x in p.parts]}
                for p in problems
            ]
        )
        return
    from gradekit.output import terminal as render

    render.problem_list(rich_console(), problems)


def variant_notes(problems: list, student: str | None) -> list[str]:
    """One note when per-student problems are taken without a student (the default variant), else none."""
    from gradekit.catalog.variants import no_student_note, per_student

    varied = per_student(problems)
    return [no_student_note(varied)] if varied and not student else []


def echo_notes(notes: list[str]) -> None:
    for note in notes:  # on stderr: the key or statement on stdout stays as it was
        click.echo(f"note: {note}", err=True)


@main.command()
@click.argument("ident", metavar="ID")
@click.option("--assignment", "-a", help="Resolve a bare ID within this assignment.")
@click.option("--student", "-s", help="Show this student's variant (specs that draw per-student numbers).")
@click.option("--json", "as_json", is_flag=True)
@handles_errors
def show(ident: str, assignment: str | None, student: str | None, as_json: bool) -> None:
    """Show a problem's statement and its parts."""
    from gradekit.catalog.catalog import load_catalog
    from gradekit.core.plain import describe_answer
    from gradekit.catalog.solution import reference_label
    from gradekit.catalog.variants import drawn_params, variant

    catalog = load_catalog()
    base = catalog.resolve(ident, assignment)
    notes = variant_notes([base], student)
    problem = variant(catalog, base, student)
    answers = catalog.solve(problem).answers
    rows = [(p.name, p.kind, describe_answer(p.kind, answers.get(p.name), dict(p.options)), p.points) for p in problem.parts]
    if as_json:
        emit_json(
            {
                "id": problem.qualified_id,
                "title": problem.title,
                "family": reference_label(problem.family),
                "statement": problem.statement,
                "params": drawn_params(problem),
                "parts": [{"name": n, "kind": k, "form": f, "points": pts} for n, k, f, pts in rows],
                "notes": notes,
            }
        )
        return
    from gradekit.output import terminal as render

    echo_notes(notes)
    render.problem(rich_console(), problem, rows)


@main.command()
@click.argument("ident", metavar="ID", required=False)
@click.option("--assignment", "-a", help="Resolve a bare ID within this assignment; without ID, the whole assignment's key.")
@click.option("--student", "-s", help="Solve this student's variant (specs that draw per-student numbers).")
@click.option("--show-steps", is_flag=True, help="Print the worked solution step by step.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown", "latex"]), default="text",
              show_default=True, help="markdown and latex: a worked key (latex: a document for pdflatex).")
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write the key here instead of printing it.")
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@handles_errors
def solve(ident: str | None, assignment: str | None, student: str | None, show_steps: bool, fmt: str,
          output: Path | None, as_json: bool) -> None:
    """Print a problem's answers (--show-steps: the worked solution), or with -a and no ID the whole key."""
    from gradekit.catalog.catalog import load_catalog
    from gradekit.core.errors import GradekitError
    from gradekit.core.plain import solution_dict
    from gradekit.catalog.variants import variant

    catalog = load_catalog()
    fmt = "json" if as_json else fmt
    if ident is None:
        if not assignment:  # -a "" names none either
            raise GradekitError(
                "give a problem ID, or --assignment A for the whole assignment's key")
        name = assignment
    else:
        name = assignment or catalog.resolve(ident).assignment
    ids = [ident] if ident else None
    bases = [catalog.resolve(i, name) for i in ids] if ids else list(catalog.problems(name))
    notes = variant_notes(bases, student)
    problems = [variant(catalog, p, student) for p in bases]
    if fmt in ("markdown", "latex"):
        from gradekit.output.keys import answer_key, latex_key

        text = (answer_key if fmt == "markdown" else latex_key)(catalog, name, student, ids)
        if output is None:
            click.echo(text, nl=False)
        else:
            output.write_text(text)
            click.echo(f"wrote {output}")
        return
    if fmt == "json":
        data = [solution_dict(p, catalog.solve(p)) for p in problems]
        extra = {"notes": notes} if notes else {}  # the shape stays as it was unless there is something to say
        emit_json({**data[0], **extra} if ident else
                  {"assignment": name, "student": student, "problems": data, **extra})
        return
    from gradekit.output import terminal as render

    echo_notes(notes)
    term = rich_console()
    for problem in problems:
        render.solution(term, problem, catalog.solve(problem), show_steps)


@main.command()
@click.argument("submission", type=click.Path(path_type=Path))
@click.option("--assignment", "-a", help="Grade against this assignment (default: inferred from the answers).")
@click.option("--student", "-s", help="Grade against this student's variant (default: the file's student).")
@click.option("--problem", "-p", help="Grade a module file as this code problem (default: found from the file name).")
@click.option("--gradescope", type=click.Path(path_type=Path), help="Also write Gradescope's results.json here.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@handles_errors
def check(submission: Path, assignment: str | None, student: str | None, problem: str | None,
          gradescope: Path | None, as_json: bool) -> None:
    """Grade an answers file (.py, .json or .toml) or a module file (task1.py)."""
    import time

    from gradekit.core.errors import GraderError, SubmissionError
    from gradekit.grading.grade import grade

    start = time.monotonic()
    try:
        rep = grade(submission, assignment=assignment, student=student, problem=problem)
        if rep.key:  # solve's JSON fed back: judged on what a key can hold
            from gradekit.grading.grade import as_key
            from gradekit.catalog.catalog import load_catalog

            rep = as_key(rep, load_catalog())
    except (SubmissionError, GraderError) as e:
        if gradescope is not None:  # Gradescope still needs a results.json: zero, with the reason
            from gradekit.grading.grade import gradescope_failure
            from gradekit.output import gradescope as gs
            from gradekit.catalog.catalog import load_catalog

            gs.write(gradescope_failure(str(e), assignment, load_catalog(), time.monotonic() - start,
                                        grader_fault=isinstance(e, GraderError)), gradescope)
        raise
    warn_weak(rep.isolation)
    if gradescope is not None:
        rep.write_gradescope(gradescope, execution_time=time.monotonic() - start)
    if as_json:
        emit_json(rep.to_dict())
    else:
        from gradekit.output import terminal as render

        render.report(rich_console(), rep)
    if rep.grader_errors:
        click.echo(f"gradekit: grader error on {printable(', '.join(rep.grader_errors))}: not the submission's fault; "
                   f"these parts are not judged", err=True)
        sys.exit(3)
    sys.exit(0 if rep.full_marks else 1)


@main.command()
@click.argument("assignment")
@click.option("--format", "fmt", type=click.Choice(["py", "json", "toml", "ipynb"]), default="py", show_default=True,
              help="ipynb: a student notebook (statements, a tagged answer cell per part, code problems' starters).")
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write here instead of answers.<format>.")
@click.option("--stdout", "to_stdout", is_flag=True, help="Print instead of writing a file.")
@click.option("--json", "as_json", is_flag=True, help="Print every part's expected form as JSON; write nothing.")
@handles_errors
def template(assignment: str, fmt: str, output: Path | None, to_stdout: bool, as_json: bool) -> None:
    """Write a starter answers file listing every part of ASSIGNMENT."""
    from gradekit.catalog.catalog import load_catalog
    from gradekit.output.template import outline
    from gradekit.output.template import template as make_template

    from gradekit.catalog.variants import per_student

    if as_json:
        emit_json(outline(load_catalog(), assignment))
        return
    text = make_template(load_catalog(), assignment, fmt)
    varied = per_student(load_catalog().problems(assignment))
    if to_stdout:
        click.echo(text, nl=False)
        return
    path = output or Path(f"answers.{fmt}")
    if path.exists():
        from gradekit.core.errors import GradekitError

        raise GradekitError(f"{path} exists; choose another name with -o or remove it")
    path.write_text(text)
    click.echo(f"wrote {path}")
    if varied and fmt != "ipynb":
        echo_notes([f"{', '.join(varied)} {'draws' if len(varied) == 1 else 'draw'} numbers per student: "
                    f"fill in the student in {path} (check uses it), or show/solve/check with --student ID"])
    from gradekit.code.starter import write_starters

    for starter, written in write_starters(load_catalog(), assignment, path.parent):
        click.echo(f"wrote {starter}" if written else f"kept {starter} (it exists)")


@main.command("grade")
@click.argument("folder", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--assignment", "-a", required=True, help="The assignment every submission answers.")
@click.option("--out", "-o", "out", type=click.Path(path_type=Path), help="Where grades.csv, grades.json and report.png go (default: FOLDER/../grades).")
@click.option("--jobs", "-j", type=click.IntRange(1), help="Worker processes (default: all cores).")
@click.option("--time-limit", type=click.FloatRange(0.1),
              help="Seconds each piece of student code may run: an answers .py in all, each call into a module file or "
                   "notebook (CPU time; default: 10, or the assignment's largest time_budget when more).")
@click.option("--gradebook", type=click.Choice(["csv", "canvas", "blackboard", "gradescope"]), default="csv",
              show_default=True, help="gradebook.csv for: csv (student,total); Canvas's import (its columns and Points "
                                      "Possible row); Blackboard's grade centre; Gradescope's SID,Total Score.")
@click.option("--lms-column", metavar="HEADER",
              help="The assignment's column in the Canvas or Blackboard gradebook, as the LMS's own export heads it "
                   "(HW 2 (123456); HW 2 [Total Pts: 10 Score] |789), so the import fills that column.")
@click.option("--roster", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="The class's roster CSV (ID, Name, E-mail, Section; Login, LMS ID optional): names every row; "
                   "a student of it with no submission is a row of its own.")
@click.option("--attempt", type=click.Choice(["latest", "first"]), default="latest", show_default=True,
              help="Which of a student's LMS attempts is graded; the others' files are listed as not graded.")
@click.option("--overrides", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="Per-part overrides (CSV: student,part,points,reason), merged after hand grades; kept as "
                   "OUT/overrides.csv for later runs.")
@click.option("--due", metavar="TIME",
              help="The due time (ISO 8601: 2026-12-01T23:59, a zone optional), for --late-policy.")
@click.option("--late-policy", metavar="POLICY",
              help="per-day=N%,cap=N%,grace=N(m|h|d): the share of the points earned lost per day late, from the "
                   "times the LMS's file names or Gradescope's metadata give.")
@click.option("--force", is_flag=True,
              help="Grade every submission again, not only those changed since the last run (OUT/.gradekit-cache).")
@click.option("--manual", type=click.Path(path_type=Path, dir_okay=False),
              help="A TA's hand grades (OUT/manual.csv filled in: student, then a column per part graded by hand) "
                   "to merge into totals, feedback and gradebooks.")
@click.option("--scheduler", envvar="GRADEKIT_SCHEDULER", metavar="ADDRESS",
              help="Grade on the Dask cluster at ADDRESS (also GRADEKIT_SCHEDULER), e.g. tls://10.0.0.5:8786. The "
                   "scheduler runs what any client sends it: keep it on a private network, with TLS (docs/cluster.md).")
@click.option("--tls-ca", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="With a tls:// scheduler: the CA certificate the cluster's certificates are signed with.")
@click.option("--tls-cert", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="With a tls:// scheduler: this client's certificate.")
@click.option("--tls-key", type=click.Path(path_type=Path, exists=True, dir_okay=False),
              help="With a tls:// scheduler: this client's private key.")
@click.option("--allow-weak-isolation", is_flag=True,
              help="With --scheduler: grade on workers that give student code only weak isolation (refused otherwise).")
@click.option("--insecure-cluster", is_flag=True,
              help="With --scheduler: accept a scheduler without TLS (tcp://), which anyone who reaches it can drive "
                   "(refused otherwise; said in the output and grades.json).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON (with --scheduler: per-worker counts and times).")
@handles_errors
def grade_cmd(folder: Path, assignment: str, as_json: bool, scheduler: str | None, **flags: Any) -> None:
    """Grade every submission in FOLDER (a file or sub-folder per student, a Gradescope export, or a Canvas or
    Blackboard download; zip and tar archives unpacked within bounds). Every file not graded is listed with why.

    Each graded row is kept in OUT/.gradekit-cache as it finishes: a rerun grades only what changed,
    and Ctrl-C writes the outputs of the rows done (exit 130); run again to finish.
    """
    from gradekit.cli.summary import print_summary
    from gradekit.course.run import ClassRun, ClassStopped, cluster_warnings, grade_class

    tls = (flags.pop("tls_ca"), flags.pop("tls_cert"), flags.pop("tls_key"))
    cluster = _cluster(scheduler, tls, flags.pop("allow_weak_isolation"), flags.pop("insecure_cluster"))
    warnings = cluster_warnings(cluster)  # said before anything is read or written
    for warning in warnings:
        click.echo(click.style(f"gradekit: warning: {printable(warning)}", fg="red", bold=True), err=True)
    run = ClassRun(**flags, cluster=cluster, progress=not as_json)  # the flags are ClassRun's fields, by name
    try:
        graded = grade_class(folder, assignment, run)
    except ClassStopped as stop:
        if stop.graded is None:
            click.echo("stopped before grading began: nothing written", err=True)
        else:
            rows, total = len(stop.graded.result.rows), stop.graded.result.submissions
            click.echo(f"stopped at {rows}/{total}: outputs hold the {rows} graded; run again to finish", err=True)
            click.echo("wrote " + ", ".join(str(p) for p in stop.graded.paths.values()))
        sys.exit(130)
    result, paths = graded.result, graded.paths
    warn_weak(result.isolation)
    if as_json:
        emit_json({"assignment": assignment, "students": len(result.rows), "max_score": result.max_score,
                   "median": result.median,
                   "graded": len(result.rows) - result.reused, "unchanged": result.reused,
                   "grader_errors": sum(1 for r in result.rows if r.get("grader_error")),
                   "not_graded": {r["student"]: r["skipped"] for r in result.rows if r.get("skipped")},
                   "isolation": result.isolation, "scheduler": scheduler,
                   **({"insecure_cluster": True} if warnings else {}),
                   "workers": [w.__dict__ for w in result.workers],
                   "outputs": {k: str(p) for k, p in paths.items()}})
        return
    print_summary(result, paths, folder, rich_console())


def _cluster(scheduler: str | None, tls: tuple[Path | None, Path | None, Path | None], allow_weak: bool,
             insecure: bool):
    """The ``--scheduler`` flags as a ``Cluster`` (None without one); flags that need one refused without it."""
    from gradekit.core.errors import GradekitError
    from gradekit.course.run import Cluster, tls_mismatch

    if scheduler is None:
        if any(tls):
            raise GradekitError("--tls-ca/--tls-cert/--tls-key need --scheduler tls://HOST:PORT")
        if insecure:
            raise GradekitError("--insecure-cluster goes with --scheduler tcp://HOST:PORT")
        return None
    ca, cert, key = tls
    files = (ca, cert, key) if ca is not None and cert is not None and key is not None else None
    if files is None and any(tls):
        raise tls_mismatch(scheduler)
    return Cluster(scheduler, files, allow_weak_isolation=allow_weak, insecure=insecure)


if __name__ == "__main__":
    main()
