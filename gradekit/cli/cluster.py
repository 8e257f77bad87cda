"""``gradekit cluster``: what a Dask cluster for grading needs (docs/cluster.md). No Dask imported here."""

from __future__ import annotations

from pathlib import Path

import click

from gradekit.cli.shell import handles_errors


@click.group()
def cluster() -> None:
    """Set up a Dask cluster to grade a class on (docs/cluster.md)."""


@cluster.command("certs")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("--days", type=click.IntRange(1, 3650), default=365, show_default=True,
              help="How long the certificates are valid.")
@handles_errors
def certs(folder: Path, days: int) -> None:
    """Make a CA and certificates for the scheduler, the workers and your client in FOLDER (openssl)."""
    from gradekit.course.cluster_security import make_certificates

    made = make_certificates(folder, days)
    click.echo("wrote " + ", ".join(p.name for p in made) + f" in {folder} (keys 0600; keep ca-key.pem offline)")
    d = folder
    click.echo(f"scheduler: dask scheduler --tls-ca-file {d}/ca.pem --tls-cert {d}/scheduler.pem "
               f"--tls-key {d}/scheduler-key.pem")
    click.echo(f"workers:   dask worker tls://HOST:8786 --nthreads 1 --preload gradekit.course.cluster "
               f"--tls-ca-file {d}/ca.pem --tls-cert {d}/worker.pem --tls-key {d}/worker-key.pem")
    click.echo(f"grading:   gradekit grade FOLDER -a A --scheduler tls://HOST:8786 --tls-ca {d}/ca.pem "
               f"--tls-cert {d}/client.pem --tls-key {d}/client-key.pem")
