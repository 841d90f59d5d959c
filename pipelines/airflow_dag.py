"""Airflow DAG: run a personas pipeline once a day for the run's logical date.

Copy this file into your Airflow `dags/` folder (Airflow 2.6 or later) and set, as environment
variables of the scheduler and workers or by editing the defaults below:

- PERSONAS_HOME: the folder the pipeline configs are relative to (the repository root);
- PERSONAS_PIPELINE: the pipeline config, relative to PERSONAS_HOME (pipelines/acme.toml);
- PERSONAS_BIN: the personas binary (default: `personas` on the PATH).

Each task run executes `personas run <pipeline> --date {{ ds }}`: it reads and writes only the
partition of its logical date, so clearing a task or running `airflow dags backfill` reruns
exactly those dates, and `catchup=True` fills in missed days in order. The exit code tells
Airflow what happened: 0 success; 99 nothing new to do (the date is already published from the
same inputs and config), which `skip_on_exit_code` turns into "skipped"; 75 another run of the
pipeline holds the lock, and 4 a store could not be reached, both worth the retries below; 2 a
config error, 3 an input data error, 5 too few contacts to trust (with
`--fail-on-insufficient-sample`) and 70 an internal error fail the task.

The module imports without Airflow installed (the tests import it to check the command it
builds); the DAG itself is only defined when Airflow is importable.
"""

from __future__ import annotations

import os
import shlex
from datetime import datetime, timedelta

#: Exit code of `personas run` when there is nothing new to do for the date.
NOTHING_TO_DO = 99

PERSONAS_HOME = os.environ.get("PERSONAS_HOME", "/opt/personas")
PERSONAS_PIPELINE = os.environ.get("PERSONAS_PIPELINE", "pipelines/sample.toml")
PERSONAS_BIN = os.environ.get("PERSONAS_BIN", "personas")


def personas_command(
    pipeline: str,
    date: str = "{{ ds }}",
    binary: str = "personas",
    force: bool = False,
) -> str:
    """The shell command that runs `pipeline` for one logical date.

    `date` is an Airflow template by default (`{{ ds }}`, the logical date as YYYY-MM-DD),
    rendered by Airflow before the command runs. Logs go to stderr as JSON lines, one per event,
    for the task log and any log shipper; the run's summary goes to stdout.
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


try:
    from airflow import DAG
    from airflow.operators.bash import BashOperator
except ImportError:  # Airflow not installed: only the functions above are defined.
    DAG = None

if DAG is not None:
    with DAG(
        dag_id=dag_id(PERSONAS_PIPELINE),
        description="Data-driven buyer personas from the CRM, email, web and social exports",
        schedule="@daily",
        start_date=datetime(2026, 11, 1),
        catchup=True,
        # One date at a time, in order: each run matches its personas to the previous date's.
        max_active_runs=1,
        default_args={
            "owner": "data",
            "retries": 3,
            "retry_delay": timedelta(minutes=15),
            "depends_on_past": True,
        },
        tags=["personas"],
    ) as dag:
        BashOperator(
            task_id="run_personas",
            bash_command=personas_command(PERSONAS_PIPELINE, binary=PERSONAS_BIN),
            cwd=PERSONAS_HOME,
            skip_on_exit_code=NOTHING_TO_DO,
            execution_timeout=timedelta(hours=2),
        )
