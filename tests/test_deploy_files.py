"""The files operators deploy with. The Dockerfile passes hadolint and builds the image in two stages: the
wheel in one, a runtime that installs only that wheel and its dependencies and runs as an unprivileged user
with a health check. docker-compose.yml is valid against the Compose Specification's JSON schema (as
check-jsonschema ships it: nothing is downloaded) and starts each service only once what it needs is
healthy. (No Docker engine here: tests/test_wheel.py runs both health-check commands against a served
wheel.)"""

import json
import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined and comments left out."""
    text = re.sub(r"\\\n\s*", "", (ROOT / "Dockerfile").read_text())
    found = []
    for line in text.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            instruction, _, arguments = line.strip().partition(" ")
            found.append((instruction.upper(), arguments.strip()))
    return found


def dockerfile_healthcheck() -> list[str]:
    [arguments] = [args for instruction, args in dockerfile_instructions() if instruction == "HEALTHCHECK"]
    return json.loads(arguments.split(" CMD ", 1)[1])


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _check_compose(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BIN / "check-jsonschema", "--builtin-schema", "vendor.compose-spec", path],
        capture_output=True,
        text=True,
        timeout=60,
    )


# --- Dockerfile ----------------------------------------------------------------------------------------


def test_the_dockerfile_passes_hadolint():
    done = subprocess.run(
        [BIN / "hadolint", "--no-color", ROOT / "Dockerfile"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_image_runs_the_wheel_built_in_its_own_stage_as_an_unprivileged_user():
    instructions = dockerfile_instructions()
    stages = [i for i, (instruction, _) in enumerate(instructions) if instruction == "FROM"]
    assert len(stages) == 2
    build, runtime = instructions[stages[0] : stages[1]], instructions[stages[1] :]
    assert build[0][1].endswith(" AS build")
    assert any(instruction == "RUN" and "pip wheel" in args for instruction, args in build)

    # Nothing of the source tree reaches the runtime stage: it installs the wheel the build stage made.
    assert not [args for instruction, args in runtime if instruction in ("COPY", "ADD")]
    [install] = [args for instruction, args in runtime if instruction == "RUN" and "pip install" in args]
    assert "from=build" in install and "--no-index" in install and "/wheels/pantau-" in install

    users = [args for instruction, args in runtime if instruction == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert dockerfile_healthcheck()[-1].endswith("urlopen('http://127.0.0.1:8000/healthz', timeout=4)")
    assert ("CMD", '["pantau", "serve", "--host", "0.0.0.0", "--port", "8000"]') in runtime


# --- docker-compose.yml --------------------------------------------------------------------------------


def test_the_compose_file_is_valid_against_the_compose_specification():
    done = _check_compose(ROOT / "docker-compose.yml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_compose_check_rejects_what_the_specification_does_not_allow(tmp_path):
    broken = compose()
    broken["services"]["app"]["depends_on"]["redis"] = {"condition": "service_ready"}
    (tmp_path / "docker-compose.yml").write_text(yaml.safe_dump(broken))
    done = _check_compose(tmp_path / "docker-compose.yml")
    assert done.returncode == 1 and "service_ready" in done.stdout


def test_services_start_only_once_what_they_need_is_healthy():
    services = compose()["services"]
    for name in ("postgres", "redis", "app"):
        assert services[name]["healthcheck"]["test"], f"{name} has no health check"
    assert "/healthz" in " ".join(services["app"]["healthcheck"]["test"])
    waits = {
        (name, needed): condition["condition"]
        for name, service in services.items()
        for needed, condition in service.get("depends_on", {}).items()
    }
    assert waits == {
        ("migrate", "postgres"): "service_healthy",
        ("app", "migrate"): "service_completed_successfully",
        ("app", "postgres"): "service_healthy",
        ("app", "redis"): "service_healthy",
        ("nginx", "app"): "service_healthy",
    }
