"""Airflow DAG: run a personas pipeline once a day, for the day that has just finished.

Copy this file into your Airflow `dags/` folder (Airflow 2.9 or later, 3.x included) and set, as
environment variables of the scheduler, DAG processor and workers (or by editing the defaults
below):

- PERSONAS_HOME: the folder the pipeline configs are relative to (the repository root);
- PERSONAS_PIPELINE: the pipeline config, relative to PERSONAS_HOME (pipelines/acme.toml);
- PERSONAS_BIN: the personas binary (default: `personas` on the PATH);
- optionally PERSONAS_START_DATE (YYYY-MM-DD, default 2026-11-01), PERSONAS_TIMEZONE (the zone
  whose midnight ends a day, default UTC), PERSONAS_CATCHUP (`false` to run only the latest
  day), PERSONAS_RETRIES (default 3) and PERSONAS_RETRY_DELAY (seconds, default 900).

Dates. The schedule is a `CronDataIntervalTimetable` at midnight: the run whose logical date is
2026-11-20 covers the interval [2026-11-20, 2026-11-21) and starts once that day is over, so
`{{ ds }}` is the finished day whose exports are complete (Airflow 3's `@daily` would be a
`CronTriggerTimetable`, whose logical date is the day the run starts). A manual run with a
logical date on a day boundary (`airflow dags test <dag> 2026-11-20`, a trigger with that date)
processes that day; one triggered "now" (a logical date in the middle of a day, or none, as
Airflow 3 allows) processes the last finished day, the start of its data interval.

Each run executes `personas run <pipeline> --date {{ ds }}`: it reads and writes only the
partition of that date, so clearing a task or a backfill reruns exactly those dates, and
`catchup=True` fills in missed days in order (one run at a time, each after the previous date
succeeded or was skipped). When source paths hold `{date}` (or `{date:%Y%m%d}`), a sensor first
waits, in reschedule mode, until every local source of the day exists (object-store and HTTP
sources are not checked: put the provider's sensor in front for those). When catchup is on and a
source path has no `{date}`, every past date would read today's snapshot: the DAG file warns
when it is loaded (a DAG import warning in the UI and the DAG's docs).

The exit code tells Airflow what happened:

- 0 success;
- 99 nothing new to do (the date is already published from the same inputs and config):
  the task is "skipped";
- 75 another run of the pipeline holds the lock, 4 a store, endpoint or the CRM's API could not
  be reached: retried (PERSONAS_RETRIES times, PERSONAS_RETRY_DELAY apart), and so is any code
  not listed here (143 or 130 after a kill);
- 2 a config error, 3 an input data error, 5 too few contacts to trust (with
  `--fail-on-insufficient-sample`) and 70 an internal error fail the task at once, without
  retries (`AirflowFailException`): rerunning cannot help until someone fixes the config or data.

The module imports without Airflow installed (the tests import it to check the command it
builds and the pipeline checks); the DAG itself is only defined when Airflow is importable.
"""

from __future__ import annotations

import glob
import os
import re
import shlex
import warnings
from datetime import date as _date
from datetime import datetime, timedelta, timezone

#: Exit code of `personas run` when there is nothing new to do for the date: "skipped".
NOTHING_TO_DO = 99
#: Exit codes worth retrying later: the lock is held (75), a store could not be reached (4).
RETRY_EXIT_CODES = (75, 4)
#: Exit codes that fail the task at once, without retries.
FAIL_AT_ONCE_EXIT_CODES = {
    2: "config error: fix the pipeline file",
    3: "input data error: a missing or unreadable file, a missing column, too many rejects",
    5: "insufficient sample: no persona big enough to trust; nothing was published",
    70: "internal error (a bug): please report it with the log",
}

PERSONAS_HOME = os.environ.get("PERSONAS_HOME", "/opt/personas")
PERSONAS_PIPELINE = os.environ.get("PERSONAS_PIPELINE", "pipelines/sample.toml")
PERSONAS_BIN = os.environ.get("PERSONAS_BIN", "personas")
PERSONAS_START_DATE = os.environ.get("PERSONAS_START_DATE", "2026-11-01")
PERSONAS_TIMEZONE = os.environ.get("PERSONAS_TIMEZONE", "UTC")
PERSONAS_CATCHUP = os.environ.get("PERSONAS_CATCHUP", "true").strip().lower() not in (
    "0",
    "false",
    "no",
    "off",
)
PERSONAS_RETRIES = int(os.environ.get("PERSONAS_RETRIES", "3"))
PERSONAS_RETRY_DELAY = float(os.environ.get("PERSONAS_RETRY_DELAY", "900"))


class PersonasCatchupWarning(UserWarning):
    """Catchup is on but a source path has no `{date}`: past dates would read today's files."""


def personas_command(
    pipeline: str,
    date: str = "{{ ds }}",
    binary: str = "personas",
    force: bool = False,
) -> str:
    """The shell command that runs `pipeline` for one logical date.

    `date` is an Airflow template by default (`{{ ds }}`, the day the run processes as
    YYYY-MM-DD), rendered by Airflow before the command runs. Logs go to stderr as JSON lines,
    one per event, for the task log and any log shipper; the run's summary goes to stdout.
    """
    parts = [shlex.quote(binary), "run", shlex.quote(pipeline), "--date", date]
    if force:
        parts.append("--force")
    parts += ["--log-format", "json"]
    return " ".join(parts)


def dag_id(pipeline: str) -> str:
    """`personas_<pipeline file stem>`."""
    stem = os.path.splitext(os.path.basename(pipeline))[0]
    return "personas_" + "".join(c if c.isalnum() else "_" for c in stem)


def exit_code_outcome(code: int) -> str:
    """What the DAG makes of an exit code: success, skipped, retry or fail."""
    if code == 0:
        return "success"
    if code == NOTHING_TO_DO:
        return "skipped"
    if code in FAIL_AT_ONCE_EXIT_CODES:
        return "fail"
    return "retry"


# --- The pipeline config: which sources are dated, and which of a day's files are there. ---

_DATE_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{date(?::([^}]*))?\}")


def is_dated(path: str) -> bool:
    """Whether a source path holds `{date}` or `{date:<format>}` (`{{`/`}}` are literal braces)."""
    return any(m.group(0).startswith("{date") for m in _DATE_PLACEHOLDER.finditer(path))


def render_path(path: str, day: str) -> str:
    """A source path with its date placeholders filled in for `day` (YYYY-MM-DD)."""
    when = datetime.strptime(day, "%Y-%m-%d")

    def fill(match: re.Match) -> str:
        text = match.group(0)
        if text in ("{{", "}}"):
            return text[0]
        fmt = match.group(1)
        return day if fmt is None else when.strftime(fmt)

    return _DATE_PLACEHOLDER.sub(fill, path)


def _is_url(path: str) -> bool:
    return re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", path) is not None


def pipeline_file(home: str = None, pipeline: str = None) -> str:
    """The pipeline config's path (PERSONAS_PIPELINE under PERSONAS_HOME unless absolute)."""
    return os.path.join(home or PERSONAS_HOME, pipeline or PERSONAS_PIPELINE)


def read_sources(config_path: str) -> list:
    """The `[[sources]]` of a pipeline config as (name, path) pairs."""
    try:
        import tomllib
    except ImportError:  # Python < 3.11
        import tomli as tomllib
    with open(config_path, "rb") as f:
        config = tomllib.load(f)
    return [(s.get("name", "?"), s.get("path", "")) for s in config.get("sources", [])]


def undated_sources(sources: list) -> list:
    """The sources whose path has no `{date}`: every run date reads the same files."""
    return [(name, path) for name, path in sources if not is_dated(path)]


def catchup_warning(config_path: str, catchup: bool) -> str | None:
    """The warning to give when catchup would replay today's snapshot into past dates."""
    if not catchup:
        return None
    try:
        sources = read_sources(config_path)
    except (OSError, ValueError) as error:
        return (
            f"cannot read the pipeline config {config_path} ({error}): whether catchup would "
            "replay one snapshot into past dates was not checked; set PERSONAS_HOME and "
            "PERSONAS_PIPELINE where the DAG is parsed"
        )
    undated = undated_sources(sources)
    if not undated:
        return None
    names = ", ".join(f"{name} ({path})" for name, path in undated)
    return (
        f"catchup is on but these sources of {config_path} have no {{date}} in their path: "
        f"{names}. Each past date would read the files as they are today. Put {{date}} "
        "(or {date:%Y%m%d}) in the paths, or set PERSONAS_CATCHUP=false."
    )


def missing_inputs(config_path: str, day: str) -> list:
    """The dated local sources of `day` that match no file yet, as rendered paths.

    Relative paths are resolved against the config file's folder, as personas does; a path may
    be a glob or a folder. Undated sources and URLs (object stores, HTTP) are not checked.
    """
    base = os.path.dirname(os.path.abspath(config_path))
    missing = []
    for _name, path in read_sources(config_path):
        if not is_dated(path) or _is_url(path):
            continue
        rendered = render_path(path, day)
        full = os.path.join(base, rendered)
        found = glob.glob(full) if glob.has_magic(full) else os.path.exists(full)
        if not found:
            missing.append(rendered)
    return missing


def day_to_process(logical_date, data_interval_start, tz: str = "UTC") -> str:
    """The day a run processes, YYYY-MM-DD.

    Scheduled and backfill runs have a logical date on a day boundary, the start of their data
    interval: that day. A manual run with a logical date on a day boundary processes that day;
    one triggered "now" (a logical date within a day, or none) the last finished day, the start
    of the data interval Airflow gives it.
    """
    if logical_date is not None:
        local = logical_date
        if getattr(logical_date, "tzinfo", None) is not None:
            try:
                from zoneinfo import ZoneInfo

                local = logical_date.astimezone(ZoneInfo(tz))
            except Exception:  # an unknown zone name: the date as given
                local = logical_date
        if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
            return local.strftime("%Y-%m-%d")
    start = data_interval_start
    if getattr(start, "tzinfo", None) is not None:
        try:
            from zoneinfo import ZoneInfo

            start = start.astimezone(ZoneInfo(tz))
        except Exception:
            pass
    return start.strftime("%Y-%m-%d")


def _set_day(context, tz: str) -> str:
    """Put the day to process in the task's context as `ds` (and `ds_nodash`)."""
    day = day_to_process(context.get("logical_date"), context.get("data_interval_start"), tz)
    context["ds"] = day
    context["ds_nodash"] = day.replace("-", "")
    return day


# --- The DAG, when Airflow is installed. ---

try:
    try:  # Airflow 3: the task SDK
        from airflow.sdk import DAG
    except ImportError:  # Airflow 2
        from airflow import DAG
    try:  # the standard provider (Airflow 3, and Airflow 2.9+ with it installed)
        from airflow.providers.standard.operators.bash import BashOperator
    except ImportError:  # Airflow 2 without the standard provider
        from airflow.operators.bash import BashOperator
except ImportError:  # Airflow not installed: only the functions above are defined.
    DAG = None

if DAG is not None:
    try:
        from airflow.sdk import CronDataIntervalTimetable
    except ImportError:
        try:
            from airflow.timetables.interval import CronDataIntervalTimetable
        except ImportError:  # a minimal stand-in for Airflow: Airflow 2's "@daily" is the same
            CronDataIntervalTimetable = None

    def _airflow_exceptions():
        try:
            from airflow.sdk.exceptions import AirflowFailException
        except ImportError:
            from airflow.exceptions import AirflowFailException
        return AirflowFailException

    class PersonasOperator(BashOperator):
        """`personas run` as a BashOperator whose exit codes map to task outcomes.

        99 is skipped (`skip_on_exit_code`); 2, 3, 5 and 70 fail at once without retries
        (`AirflowFailException`); any other non-zero code (75, 4, 143, ...) fails the try and is
        retried. `{{ ds }}` is the day to process (see `day_to_process`).
        """

        def render_template_fields(self, context, jinja_env=None):
            _set_day(context, PERSONAS_TIMEZONE)
            return super().render_template_fields(context, jinja_env)

        def execute(self, context):
            try:
                return super().execute(context)
            except Exception as error:
                code = self._exit_code(error)
                if code in FAIL_AT_ONCE_EXIT_CODES:
                    AirflowFailException = _airflow_exceptions()
                    raise AirflowFailException(
                        f"personas exited with {code} ({FAIL_AT_ONCE_EXIT_CODES[code]}); "
                        "not retried"
                    ) from error
                raise

        def _exit_code(self, error):
            process = getattr(self.subprocess_hook, "sub_process", None)
            code = getattr(process, "returncode", None)
            if code is None:
                found = re.search(r"exit code (\d+)", str(error))
                code = int(found.group(1)) if found else None
            return code

    def _exports_sensor(config_path, **kwargs):
        try:
            from airflow.sdk import BaseSensorOperator
        except ImportError:
            from airflow.sensors.base import BaseSensorOperator

        class PersonasExportsSensor(BaseSensorOperator):
            """Waits until every dated local source of the day to process has its files."""

            def __init__(self, *, config_path, **kwargs):
                super().__init__(**kwargs)
                self.config_path = config_path

            def poke(self, context):
                day = _set_day(context, PERSONAS_TIMEZONE)
                missing = missing_inputs(self.config_path, day)
                if missing:
                    self.log.info("Waiting for the exports of %s: %s", day, ", ".join(missing))
                return not missing

        return PersonasExportsSensor(config_path=config_path, **kwargs)

    _config_path = pipeline_file()
    _warning = catchup_warning(_config_path, PERSONAS_CATCHUP)
    if _warning:
        warnings.warn(_warning, PersonasCatchupWarning, stacklevel=1)
    try:
        _dated_local = any(
            is_dated(path) and not _is_url(path) for _, path in read_sources(_config_path)
        )
    except (OSError, ValueError):
        _dated_local = False

    if CronDataIntervalTimetable is not None:
        _schedule = CronDataIntervalTimetable("0 0 * * *", timezone=PERSONAS_TIMEZONE)
    else:
        _schedule = "@daily"
    _start = _date.fromisoformat(PERSONAS_START_DATE)
    try:
        from zoneinfo import ZoneInfo

        _tz = ZoneInfo(PERSONAS_TIMEZONE)
    except Exception:
        _tz = timezone.utc

    with DAG(
        dag_id=dag_id(PERSONAS_PIPELINE),
        description="Data-driven buyer personas from the CRM, email, web and social exports",
        schedule=_schedule,
        start_date=datetime(_start.year, _start.month, _start.day, tzinfo=_tz),
        catchup=PERSONAS_CATCHUP,
        # One date at a time, in order: each run matches its personas to the previous date's.
        max_active_runs=1,
        default_args={
            "owner": "data",
            "retries": PERSONAS_RETRIES,
            "retry_delay": timedelta(seconds=PERSONAS_RETRY_DELAY),
            "depends_on_past": True,
        },
        doc_md=__doc__ + (f"\n\n**Warning:** {_warning}\n" if _warning else ""),
        tags=["personas"],
    ) as dag:
        run = PersonasOperator(
            task_id="run_personas",
            bash_command=personas_command(PERSONAS_PIPELINE, binary=PERSONAS_BIN),
            cwd=PERSONAS_HOME,
            skip_on_exit_code=NOTHING_TO_DO,
            execution_timeout=timedelta(hours=2),
        )
        if _dated_local:
            _exports_sensor(
                _config_path,
                task_id="wait_for_exports",
                mode="reschedule",
                poke_interval=600,
                timeout=timedelta(hours=12).total_seconds(),
                # Waiting is not a failure of the previous date.
                depends_on_past=False,
                retries=0,
            ) >> run
