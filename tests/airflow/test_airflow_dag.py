"""pipelines/airflow_dag.py loaded and run by Airflow itself (2.x or 3.x, whichever this Python
has): DagBag with deprecation warnings turned into errors, the scheduler's timetable, and
`airflow dags test` (the CLI command, run in this process) with tests/airflow/fake_personas.sh
standing in for personas and exiting with each exit code in turn."""

import importlib.util
import os
import shutil
import subprocess
import warnings
from datetime import datetime, timedelta, timezone

import pytest

from conftest import DAG_FILE, DAY, DATED, UNDATED, write_pipeline

import airflow

AIRFLOW_3 = int(airflow.__version__.split(".")[0]) >= 3
DEPRECATIONS = (DeprecationWarning, PendingDeprecationWarning, FutureWarning)


def load_module():
    spec = importlib.util.spec_from_file_location("personas_airflow_dag", DAG_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def dagbag(home):
    """Airflow's DagBag of the dags folder, with deprecation warnings raised as errors (an
    error in the DAG file's import is an import error of the bag)."""
    try:
        from airflow.dag_processing.dagbag import DagBag  # Airflow 3
    except ImportError:
        from airflow.models.dagbag import DagBag  # Airflow 2
    with warnings.catch_warnings():
        for category in DEPRECATIONS:
            warnings.filterwarnings("error", category=category)
        return DagBag(dag_folder=str(home / "dags"))


def use_pipeline(monkeypatch, personas_home, name, template, **env):
    rel = write_pipeline(personas_home, name, template)
    monkeypatch.setenv("PERSONAS_HOME", str(personas_home))
    monkeypatch.setenv("PERSONAS_PIPELINE", rel)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return rel


def dags_test(dag_id, *date):
    """`airflow dags test <dag_id> [date]`; returns the deprecation warnings raised from the
    DAG file while it ran."""
    from airflow.cli import cli_parser

    args = cli_parser.get_parser().parse_args(["dags", "test", dag_id, *date])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            args.func(args)
        except SystemExit as stop:  # "DagRun failed"
            assert "failed" in str(stop).lower(), stop
    return [
        w
        for w in caught
        if issubclass(w.category, DEPRECATIONS) and w.filename.endswith("personas_dag.py")
    ]


def task_instances(dag_id):
    from airflow.models import TaskInstance
    from airflow.utils.session import create_session

    with create_session() as session:
        tis = session.query(TaskInstance).filter(TaskInstance.dag_id == dag_id).all()
        return {
            ti.task_id: (str(getattr(ti.state, "value", ti.state)), ti.try_number, ti.max_tries)
            for ti in tis
        }


def history_states(dag_id, task_id):
    """The state each earlier try of a task ended in (TaskInstanceHistory)."""
    from airflow.models.taskinstancehistory import TaskInstanceHistory
    from airflow.utils.session import create_session

    with create_session() as session:
        rows = (
            session.query(TaskInstanceHistory)
            .filter(TaskInstanceHistory.dag_id == dag_id, TaskInstanceHistory.task_id == task_id)
            .all()
        )
        return {r.try_number: str(getattr(r.state, "value", r.state)) for r in rows}


# --- Loading ---------------------------------------------------------------------------------


def test_the_module_imports_without_airflow():
    python = shutil.which("python3", path="/usr/local/bin:/usr/bin:/bin")
    if python is None:
        pytest.skip("no system python3")
    script = (
        "import importlib.util, sys\n"
        "if importlib.util.find_spec('airflow') is not None: sys.exit(0)\n"
        f"spec = importlib.util.spec_from_file_location('m', {str(DAG_FILE)!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "assert m.DAG is None\n"
        "print(m.personas_command('pipelines/acme.toml'))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    done = subprocess.run([python, "-I", "-B", "-c", script], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr


def test_dagbag_loads_the_dag_with_no_import_error_nor_deprecation(
    airflow_home, personas_home, monkeypatch
):
    use_pipeline(monkeypatch, personas_home, "acme", DATED)
    bag = dagbag(airflow_home)
    assert bag.import_errors == {}
    assert not bag.captured_warnings, bag.captured_warnings
    dag = bag.get_dag("personas_acme")
    assert dag is not None, list(bag.dag_ids)
    assert dag.catchup is True and dag.max_active_runs == 1
    run = dag.get_task("run_personas")
    sensor = dag.get_task("wait_for_exports")
    assert sensor.downstream_task_ids == {"run_personas"}
    assert sensor.mode == "reschedule"
    assert "{{ ds }}" in run.bash_command
    assert run.retries == 3 and run.depends_on_past
    assert set(run.skip_on_exit_code) == {99}
    bases = {f"{c.__module__}.{c.__name__}" for c in type(run).__mro__}
    if AIRFLOW_3:
        # The providers import path: Airflow 3 warns about airflow.operators.bash.
        assert "airflow.providers.standard.operators.bash.BashOperator" in bases, bases


def test_dagbag_warns_when_catchup_would_replay_todays_files(
    airflow_home, personas_home, monkeypatch
):
    use_pipeline(monkeypatch, personas_home, "snapshot", UNDATED)
    bag = dagbag(airflow_home)
    assert bag.import_errors == {}
    (warned,) = bag.captured_warnings.values()
    text = "\n".join(warned)
    assert "PersonasCatchupWarning" in text and "catchup is on" in text, text
    # Only the undated source is named.
    assert "crm (exports/hubspot-crm-exports-all-contacts-*.csv)" in text, text
    assert "web (" not in text, text
    assert "Warning" in bag.get_dag("personas_snapshot").doc_md
    # Dated sources only behind URLs: no local file to wait for.
    assert bag.get_dag("personas_snapshot").task_ids == ["run_personas"]

    monkeypatch.setenv("PERSONAS_CATCHUP", "false")
    bag = dagbag(airflow_home)
    assert bag.import_errors == {} and not bag.captured_warnings
    assert bag.get_dag("personas_snapshot").catchup is False


# --- Dates -----------------------------------------------------------------------------------


def test_the_scheduled_run_of_a_day_starts_once_the_day_is_over(
    airflow_home, personas_home, monkeypatch
):
    """The timetable as the scheduler sees it (the serialized DAG): logical date 2026-11-20 is
    the interval [11-20, 11-21), run after 11-21 00:00, so `{{ ds }}` is the finished day."""
    from airflow.serialization import serialized_objects as so
    from airflow.timetables.base import DataInterval, TimeRestriction

    use_pipeline(monkeypatch, personas_home, "acme", DATED)
    dag = dagbag(airflow_home).get_dag("personas_acme")
    serialization = getattr(so, "DagSerialization", None) or so.SerializedDAG
    timetable = serialization.from_dict(serialization.to_dict(dag)).timetable
    assert type(timetable).__name__ == "CronDataIntervalTimetable", type(timetable)

    utc = timezone.utc
    start = datetime(2026, 11, 1, tzinfo=utc)
    first = timetable.next_dagrun_info(
        last_automated_data_interval=None,
        restriction=TimeRestriction(earliest=start, latest=None, catchup=True),
    )
    assert first.logical_date == start
    assert first.data_interval.end == datetime(2026, 11, 2, tzinfo=utc) == first.run_after

    previous = DataInterval(datetime(2026, 11, 19, tzinfo=utc), datetime(2026, 11, 20, tzinfo=utc))
    nxt = timetable.next_dagrun_info(
        last_automated_data_interval=previous,
        restriction=TimeRestriction(earliest=start, latest=None, catchup=True),
    )
    assert nxt.logical_date.strftime("%Y-%m-%d") == DAY
    assert nxt.run_after == datetime(2026, 11, 21, tzinfo=utc)


def test_a_manual_run_triggered_now_processes_the_last_finished_day(
    airflow_home, personas_home, monkeypatch, tmp_path
):
    log = tmp_path / "argv"
    use_pipeline(
        monkeypatch,
        personas_home,
        "now",
        UNDATED,
        PERSONAS_CATCHUP="false",
        FAKE_PERSONAS_LOG=str(log),
        FAKE_PERSONAS_CODES="0",
    )
    before = datetime.now(timezone.utc)
    assert dags_test("personas_now") == []  # no date: the logical date is "now"
    after = datetime.now(timezone.utc)
    days = {(t - timedelta(days=1)).strftime("%Y-%m-%d") for t in (before, after)}
    (argv,) = log.read_text().splitlines()
    assert argv.split()[:4] in [["run", "pipelines/now.toml", "--date", d] for d in days], argv
    assert task_instances("personas_now")["run_personas"][0] == "success"


# --- Exit codes ------------------------------------------------------------------------------

# (stand-in's exit codes, call by call; run_personas' final state; calls; tries)
CASES = {
    "0": ("0", "success", 1),
    "99": ("99", "skipped", 1),
    # Retried: the first try fails, the retry (the stand-in's second call) succeeds.
    "75": ("75,0", "success", 2),
    "4": ("4,0", "success", 2),
    # Still held after every retry: failed after 1 + retries tries.
    "75_always": ("75", "failed", 3),
    # Failed at once: one call, although retries were left.
    "2": ("2,0", "failed", 1),
    "3": ("3,0", "failed", 1),
    "5": ("5,0", "failed", 1),
    "70": ("70,0", "failed", 1),
}


@pytest.mark.parametrize("case", list(CASES))
def test_dags_test_maps_each_exit_code_to_its_outcome(
    case, airflow_home, personas_home, monkeypatch, tmp_path
):
    codes, state, calls = CASES[case]
    log = tmp_path / "argv"
    name = f"code_{case}"
    rel = use_pipeline(
        monkeypatch,
        personas_home,
        name,
        DATED,
        FAKE_PERSONAS_LOG=str(log),
        FAKE_PERSONAS_CODES=codes,
        PERSONAS_RETRY_DELAY="0",
        PERSONAS_RETRIES="2",
    )
    dag_id = f"personas_{name}"
    assert dags_test(dag_id, DAY) == []

    # The stand-in got the finished day, once per try.
    argv = log.read_text().splitlines()
    assert argv == [f"run {rel} --date {DAY} --log-format json"] * calls, argv
    tis = task_instances(dag_id)
    assert tis["wait_for_exports"][0] == "success", tis  # that day's exports are there
    run_state, try_number, max_tries = tis["run_personas"]
    assert run_state == state, tis
    assert max_tries == 2, tis  # retries were available every time
    assert try_number == calls, tis
    earlier = history_states(dag_id, "run_personas")
    if calls > 1 and AIRFLOW_3:
        # Airflow 3 keeps each earlier try in the task instance history (`dags test` in Airflow
        # 2 does not): each failed and was retried.
        assert set(earlier) == set(range(1, calls)), earlier
        assert set(earlier.values()) <= {"failed", "up_for_retry"}, earlier
    elif calls == 1:
        assert earlier == {}, earlier
