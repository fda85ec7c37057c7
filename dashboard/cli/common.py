"""What every `paintrail` command shares: --db, dates, opening the store, one-line errors, no tracebacks."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperGroup

from data_model.catalog import PROCEDURES

# The store (SQLAlchemy, the ORM, alembic, pandas) is imported inside the functions that open it, never
# here: every command's module imports this one, and `paintrail --help` must not pay for the store.
if TYPE_CHECKING:
    from sqlalchemy import Engine

    from data_model.services.cohort import CohortFilter
    from data_model.validation import ValidationFailed

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        metavar="URL",
        help="Database URL, e.g. sqlite:///paintrail.db or postgresql+psycopg://user@host/db. "
        "Default: $PAINTRAIL_DATABASE_URL, else sqlite:///paintrail.db in the current folder.",
        show_default=False,
    ),
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="DATE",
        help="Evaluate as of this date (YYYY-MM-DD). Default: the site's today, in its time zone.",
        show_default=False,
    ),
]


# The cohort page's definition, as options of the exports that draw cohort figures.
ProcedureOption = Annotated[
    list[str] | None,
    typer.Option(
        "--procedure",
        metavar="NAME",
        help="Only this index procedure (repeatable): discectomy, laminectomy, fusion, other. Default: all.",
        show_default=False,
    ),
]
SurgeonOption = Annotated[
    list[str] | None,
    typer.Option(
        "--surgeon",
        metavar="NAME",
        help="Only this surgeon's index surgeries (repeatable). Default: all.",
        show_default=False,
    ),
]
FromOption = Annotated[
    str | None,
    typer.Option(
        "--from", metavar="DATE", help="Index surgery on or after this date (YYYY-MM-DD).", show_default=False
    ),
]
ToOption = Annotated[
    str | None,
    typer.Option("--to", metavar="DATE", help="Index surgery on or before this date (YYYY-MM-DD).", show_default=False),
]
SurgeryOrderOption = Annotated[
    str,
    typer.Option(
        "--surgery",
        metavar="any|first|repeat",
        help="All index surgeries, first surgeries only, or repeat surgeries only.",
    ),
]
SURGERY_ORDERS = ("any", "first", "repeat")


class UserError(Exception):
    """Bad input from the operator: reported on one line, never with a traceback."""


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one line on stderr and exit non-zero."""
    typer.echo("Error: " + " ".join(str(message).split()), err=True)
    raise typer.Exit(code)


# Recent Typer releases vendor click as typer._click; older ones use click itself. Take the exception
# classes from wherever typer.BadParameter lives so both work.
_click_errors = sys.modules[typer.BadParameter.__module__]
_ClickException = _click_errors.ClickException
_NoArgsIsHelpError = getattr(_click_errors, "NoArgsIsHelpError", ())
_Aborts = tuple({typer.Abort, getattr(_click_errors, "Abort", typer.Abort)})


class OneLineErrorsGroup(TyperGroup):
    """Usage mistakes (a bad option, a missing argument) as one 'Error: ...' line, not a framed panel."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            result = super().main(
                args, prog_name, complete_var, standalone_mode=False, windows_expand_args=windows_expand_args, **extra
            )
        except _NoArgsIsHelpError as exc:
            typer.echo(exc.ctx.get_help())
            result = 2
        except _ClickException as exc:
            hint = f" Try '{exc.ctx.command_path} --help'." if getattr(exc, "ctx", None) is not None else ""
            message = " ".join(exc.format_message().split())
            if hint and not message.endswith((".", "!", "?")):
                message += "."
            typer.echo("Error: " + message + hint, err=True)
            result = exc.exit_code
        except _Aborts:
            typer.echo("Aborted.", err=True)
            result = 1
        if not standalone_mode:
            return result
        sys.exit(result if isinstance(result, int) else 0)


def optional_date(option: str, value: str | None) -> date | None:
    """An ISO date for an option, None when not given; a bad value is a one-line error naming it."""
    if value is None or value.strip() == "":
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise UserError(f"{option}: {value!r} is not a date in the form YYYY-MM-DD") from None


def site_today_of(engine: Engine) -> date:
    """The site's date now, in the time zone of its settings (data_model.clock): the default of --as-of,
    as the app's pages use it."""
    from data_model import clock

    return clock.site_today_of(engine)


def cohort_filter(
    procedures: list[str] | None,
    surgeons: list[str] | None,
    date_from: str | None,
    date_to: str | None,
    surgery_order: str,
) -> CohortFilter:
    """The cohort options checked and turned into the cohort page's CohortFilter."""
    from data_model.services.cohort import CohortFilter  # lifelines takes seconds to import: only when needed

    chosen_procedures = tuple(dict.fromkeys(p.strip().lower() for p in procedures or ()))
    for procedure in chosen_procedures:
        if procedure not in PROCEDURES:
            raise UserError(f"--procedure: {procedure!r} is not one of {', '.join(PROCEDURES)}")
    order = surgery_order.strip().lower()
    if order not in SURGERY_ORDERS:
        raise UserError(f"--surgery: {surgery_order!r} is not one of {', '.join(SURGERY_ORDERS)}")
    start, end = optional_date("--from", date_from), optional_date("--to", date_to)
    if start and end and end < start:
        raise UserError(f"--to: {end.isoformat()} is before --from {start.isoformat()}")
    chosen_surgeons = tuple(dict.fromkeys(s.strip() for s in surgeons or () if s.strip()))
    return CohortFilter(chosen_procedures, chosen_surgeons, start, end, order)


def shown_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


def open_database(url: str | None) -> Engine:
    """Engine for the resolved URL with its schema brought up to date (every command does this first)."""
    from sqlalchemy.exc import ArgumentError, DatabaseError, NoSuchModuleError

    from data_model.db import make_engine, resolve_url
    from data_model.migrate import SchemaUpgradeRefused, upgrade

    resolved = resolve_url(url)
    try:
        engine = make_engine(resolved)
    except (ArgumentError, NoSuchModuleError):
        raise UserError(f"--db: {shown_url(resolved)!r} is not a database URL this tool can open") from None
    try:
        upgrade(engine)
    except DatabaseError as exc:  # unreachable server, missing folder, a file that is not a database
        engine.dispose()
        raise UserError(f"cannot open the database {shown_url(resolved)}: {_first_line(exc)}") from None
    except SchemaUpgradeRefused as refused:
        engine.dispose()
        raise UserError(f"cannot upgrade the database {shown_url(resolved)}: {refused}") from None
    return engine


def operator() -> str:
    """Who the audit trail names for command-line writes when no account is given."""
    try:
        return f"cli:{getpass.getuser()}"[:64]
    except (KeyError, OSError):  # no user name for this uid (some containers)
        return "cli"


def _first_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _validation_line(exc: ValidationFailed) -> str:
    parts = []
    for error in exc.errors:
        shown = "" if error.value in (None, "") else f" {str(error.value)!r}"
        parts.append(f"{error.field}{shown}: {error.message}")
    return "; ".join(parts)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the store's refusals into one line on stderr and a non-zero exit; never a traceback."""
    try:
        yield
    except Exception as exc:
        _report_refusal(exc)
        raise


def _report_refusal(exc: Exception) -> None:
    """Exit with one line for the store's refusals; return for anything else (the caller re-raises it).

    The store's exception classes are imported only once something went wrong, so a command that
    succeeds loads only what it used (the CSV importer, for one, is not needed by `paintrail flags`)."""
    if isinstance(exc, UserError):
        fail(str(exc))
    if isinstance(exc, typer.Exit | _ClickException):
        return
    from sqlalchemy.exc import IntegrityError, OperationalError

    from data_model.access.permissions import NotAllowed
    from data_model.db import DatabaseBusyError
    from data_model.exchange.csv_folder.folder_import import CsvImportFailed
    from data_model.settings import SettingsError
    from data_model.validation import ValidationFailed

    if isinstance(exc, CsvImportFailed):
        typer.echo(exc.report.format(), err=True)
        raise typer.Exit(1) from None
    if isinstance(exc, ValidationFailed):
        fail(_validation_line(exc))
    if isinstance(exc, UserError | NotAllowed | DatabaseBusyError | SettingsError):
        fail(str(exc))
    from dashboard.charts.figure_export import ChartRendererError

    if isinstance(exc, ChartRendererError):  # no Chrome, or one that never became ready: say so, no traceback
        fail(str(exc))
    if isinstance(exc, IntegrityError):
        fail(f"the database refused the change, nothing was saved: {_first_line(exc)}")
    if isinstance(exc, OperationalError):
        fail(f"database error, nothing was saved: {_first_line(exc)}")
