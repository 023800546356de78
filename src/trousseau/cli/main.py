"""The `trousseau` command: every command group listed here, and where errors become exit codes.

Command modules define plain functions (or a Typer group) and import nothing from here; this
module imports them and puts them on the app, so the list of commands is read in one place
and the imports run one way: main → commands → app, output, context.
"""

from __future__ import annotations

import sys

from rich.markup import escape

from trousseau.cli import (
    backup,
    cull,
    demo,
    dr,
    forms,
    freeze,
    ingest,
    init,
    jobs,
    keys,
    ops,
    people,
    plan,
    profiles,
    render,
    residency,
    serve,
    status,
    verify,
    work,
)
from trousseau.cli.app import app
from trousseau.cli.output import errors
from trousseau.errors import TrousseauError
from trousseau.processes import exit_quickly

__all__ = ["app", "main"]

app.command("init")(init.init)
app.command("ingest")(ingest.ingest_command)
app.command("work")(work.work)
app.command("status")(status.status)
app.command("render")(render.render_command)
app.command("verify")(verify.verify)
app.command("serve")(serve.serve)
app.command("cull")(cull.cull)
app.command("people")(people.people)
app.command("find-me")(people.find_me)
app.add_typer(jobs.jobs_app, name="jobs")
app.add_typer(profiles.profiles_app, name="profiles")
app.add_typer(keys.keys_app, name="keys")
app.add_typer(backup.backup_app, name="backup")
app.add_typer(forms.forms_app, name="forms")
app.add_typer(freeze.freeze_app, name="freeze")
app.add_typer(plan.plan_app, name="plan")
app.add_typer(ops.ops_app, name="ops")
app.add_typer(residency.residency_app, name="residency")
app.add_typer(dr.dr_app, name="dr")
app.command("demo")(demo.demo)


def main() -> None:
    """Console entry point: expected failures are one line on stderr and a non-zero exit.

    The command ends without the interpreter's teardown once its exit handlers have run
    (`processes.exit_quickly`): finalising the modules a command imported cost 0.1-0.2 s of
    every run, measured, which scripts and `ingest` + `work` pay on each call.
    """
    try:
        try:
            app()
        except TrousseauError as exc:
            errors.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            errors.print(
                "interrupted: nothing acknowledged was lost; run the command again to resume"
            )
            sys.exit(130)
    except SystemExit as done:
        exit_quickly(done.code)
    exit_quickly(0)
