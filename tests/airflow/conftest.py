"""Airflow test setup: a throwaway AIRFLOW_HOME (sqlite database, dags folder holding a copy of
pipelines/airflow_dag.py) made before Airflow is first imported, and a PERSONAS_HOME with
pipeline configs and one day's exports."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.dont_write_bytecode = True

REPO = Path(__file__).resolve().parents[2]
DAG_FILE = REPO / "pipelines" / "airflow_dag.py"
FAKE_PERSONAS = Path(__file__).resolve().parent / "fake_personas.sh"

_HOME = Path(tempfile.mkdtemp(prefix="airflow-home-"))
(_HOME / "dags").mkdir()
shutil.copy(DAG_FILE, _HOME / "dags" / "personas_dag.py")
os.environ.update(
    AIRFLOW_HOME=str(_HOME),
    AIRFLOW__CORE__DAGS_FOLDER=str(_HOME / "dags"),
    AIRFLOW__CORE__LOAD_EXAMPLES="False",
    AIRFLOW__CORE__UNIT_TEST_MODE="False",
    AIRFLOW__LOGGING__LOGGING_LEVEL="WARNING",
    # Airflow 2.11 warns (RemovedInAirflow3Warning) unless metrics use Airflow 3's timer unit.
    AIRFLOW__METRICS__TIMER_UNIT_CONSISTENCY="True",
    PERSONAS_BIN=str(FAKE_PERSONAS),
)

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def airflow_home():
    """AIRFLOW_HOME with its database migrated (`airflow db migrate`)."""
    airflow = Path(sys.executable).parent / "airflow"
    done = subprocess.run([str(airflow), "db", "migrate"], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    yield _HOME
    shutil.rmtree(_HOME, ignore_errors=True)


#: The day the dags tests run, and whose exports exist.
DAY = "2026-11-20"


def pipeline_template(*sources: tuple) -> str:
    """A pipeline config template reading `sources`, each (name, kind, path): `{name}` is filled
    in by `write_pipeline`, a path's `{{date}}` placeholders become personas' `{date}`."""
    text = 'name = "{name}"\noutput_dir = "../out/{name}"\n'
    for name, kind, path in sources:
        text += f'\n[[sources]]\nname = "{name}"\nkind = "{kind}"\npath = "{path}"\n'
    return text


DATED = pipeline_template(
    ("crm", "hubspot_contacts", "exports/{{date}}/hubspot-contacts.csv"),
    ("web", "ga4_events", "exports/ga4/events_{{date:%Y%m%d}}*.json"),
    ("social", "meta_page_insights", "s3://bucket/meta/{{date}}/page_insights.json"),
)

UNDATED = pipeline_template(
    ("crm", "hubspot_contacts", "exports/hubspot-crm-exports-all-contacts-*.csv"),
    ("web", "ga4_events", "https://example.com/ga4/events_{{date:%Y%m%d}}.json"),
)


@pytest.fixture(scope="session")
def personas_home():
    """PERSONAS_HOME: `pipelines/` holds the configs the tests write, `pipelines/exports/` the
    exports of DAY."""
    home = Path(tempfile.mkdtemp(prefix="personas-home-"))
    exports = home / "pipelines" / "exports"
    (exports / DAY).mkdir(parents=True)
    (exports / DAY / "hubspot-contacts.csv").write_text("Record ID,Email\n1,a@example.com\n")
    (exports / "ga4").mkdir()
    (exports / "ga4" / ("events_" + DAY.replace("-", "") + "_000.json")).write_text("{}\n")
    yield home
    shutil.rmtree(home, ignore_errors=True)


def write_pipeline(home: Path, name: str, template: str) -> str:
    """Write pipelines/<name>.toml under `home`; returns its path relative to `home`."""
    rel = f"pipelines/{name}.toml"
    (home / rel).write_text(template.format(name=name))
    return rel
