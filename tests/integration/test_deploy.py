"""The container files, checked without a Docker engine (none runs here): both Dockerfiles
lint clean with hadolint, the compose file parses and agrees with the settings, the snippets
and the README, and the Dockerfile's own install steps succeed in a fresh venv."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from piigate.config import HostPort, Settings, load_settings, shipped_dir
from piigate.pipeline import Screener
from piigate.review.security import mounts_review
from tests.conftest import Sink, settings_for
from tests.integration.service import running_service

REPO = Path(__file__).resolve().parents[2]
HADOLINT = Path(sys.executable).parent / "hadolint"


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    steps = []
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            steps.append((keyword.upper(), " ".join(rest.split())))
    return steps


def compose() -> dict[str, Any]:
    data = yaml.safe_load((REPO / "deploy" / "docker-compose.yml").read_text())
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("dockerfile", ["Dockerfile", "deploy/postfix/Dockerfile"])
def test_dockerfiles_lint_clean(dockerfile: str) -> None:
    """hadolint reports nothing at all (every ignore is inline, with its reason)."""
    result = subprocess.run(
        [str(HADOLINT), "--no-color", str(REPO / dockerfile)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_image_runs_unprivileged_with_a_health_check_on_healthz() -> None:
    """The image switches to a numeric non-root user and checks /healthz on the port the
    image's own PIIGATE_HTTP__LISTEN names."""
    steps = dict(instructions(REPO / "Dockerfile"))
    user = steps["USER"].split(":")[0]
    assert user.isdigit() and user != "0"
    http = re.search(r"PIIGATE_HTTP__LISTEN=(\S+)", steps["ENV"] + " " + _all_env())
    assert http is not None
    port = HostPort.parse(http.group(1)).port
    assert f"127.0.0.1:{port}/healthz" in steps["HEALTHCHECK"]


def _all_env() -> str:
    return " ".join(a for k, a in instructions(REPO / "Dockerfile") if k == "ENV")


def test_compose_agrees_with_settings_snippets_dockerfile_and_readme(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every PIIGATE_ variable in the compose file is a valid setting; the gate listens where
    Postfix's content_filter sends, relays to the re-injection port, admits the compose
    network, publishes and health-checks its HTTP port like the Dockerfile, and the README's
    Operations section names the same ports and endpoint."""
    services = compose()["services"]
    gate = services["piigate"]
    env = {k: str(v) for k, v in gate["environment"].items() if k.startswith("PIIGATE_")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = load_settings(shipped_dir() / "config" / "piigate.yaml")
    postfix_dockerfile = (REPO / "deploy" / "postfix" / "Dockerfile").read_text()
    snippet = (REPO / "deploy" / "postfix" / "after-queue.main.cf").read_text()
    assert f"content_filter = piigate:[127.0.0.1]:{settings.listen.port}" in snippet
    assert f"[piigate]:{settings.listen.port}" in postfix_dockerfile
    assert settings.upstream == HostPort("postfix", 10026)
    assert "10026 inet" in (REPO / "deploy" / "postfix" / "after-queue.master.cf").read_text()
    subnet = compose()["networks"]["mail"]["ipam"]["config"][0]["subnet"]
    assert [str(n) for n in settings.clients.networks] == [subnet]
    http_port = settings.http.listen.port
    assert f"127.0.0.1:{http_port}:{http_port}" in gate["ports"]
    image_check = dict(instructions(REPO / "Dockerfile"))["HEALTHCHECK"]
    assert gate["healthcheck"]["test"][0] == "CMD"
    assert f"CMD {json.dumps(gate['healthcheck']['test'][1:])}" in image_check
    readme = (REPO / "README.md").read_text().split("## Operations", 1)[1]
    for fact in (f":{settings.listen.port}", f":{http_port}", "/healthz", "/metrics"):
        assert fact in readme


def test_image_and_compose_say_explicitly_that_review_is_plain_http(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The image's and the compose file's settings listen beyond loopback on HTTP, so each
    must pass `piigate serve`'s plain-HTTP check by the explicit override, with a comment
    saying why next to it."""
    image_env = dict(re.findall(r"(PIIGATE_\w+)=(\S+)", _all_env()))
    compose_env = {
        k: str(v)
        for k, v in compose()["services"]["piigate"]["environment"].items()
        if k.startswith("PIIGATE_")
    }
    for env in (image_env, compose_env):
        with monkeypatch.context() as patched:
            for name, value in env.items():
                patched.setenv(name, value)
            settings = load_settings(shipped_dir() / "config" / "piigate.yaml")
        assert settings.http.listen.host == "0.0.0.0"
        assert mounts_review(settings)  # no ConfigError: the override is set
    for path in (REPO / "Dockerfile", REPO / "deploy" / "docker-compose.yml"):
        assert re.search(
            r"#.*review.*\n(\s*#.*\n)*(.*\n){0,2}.*ALLOW_PLAIN_HTTP", path.read_text(), re.I
        ), path


def test_dockerfile_install_steps_succeed_in_a_fresh_venv(tmp_path: Path) -> None:
    """The Dockerfile's COPY and RUN pip steps, in its order, in a new venv holding only what
    the Dockerfile copies, give a working `piigate` that can create its keys (the pip cache
    is allowed, unlike in the image, to keep the test to a minute or two)."""
    context = tmp_path / "image"
    context.mkdir()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    env = {**os.environ, "PATH": f"{venv / 'bin'}:{os.environ['PATH']}"}
    env.pop("PIP_NO_CACHE_DIR", None)
    ran = []
    for keyword, args in instructions(REPO / "Dockerfile"):
        if keyword == "COPY":
            *sources, target = args.split()
            for source in sources:
                _copy(REPO / source, context / (target if len(sources) == 1 else source))
        elif keyword == "RUN" and args.startswith("pip "):
            result = subprocess.run(
                args, shell=True, cwd=context, env=env, capture_output=True, text=True, check=False
            )
            assert result.returncode == 0, result.stderr[-2000:]
            ran.append(args)
    assert len(ran) == 2
    home = tmp_path / "home"
    home.mkdir()
    keys = subprocess.run(
        [str(venv / "bin" / "piigate"), "keys", "init"],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert keys.returncode == 0, keys.stderr
    assert (home / "var" / "piigate" / "keys" / "quarantine.key").exists()


def _copy(source: Path, target: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target if not str(target).endswith("/") else target / source.name)


def _gate_metric_names(tmp_path: Path) -> set[str]:
    from prometheus_client import generate_latest
    from prometheus_client.parser import text_string_to_metric_families

    from piigate.http.metrics import GateMetrics

    metrics = GateMetrics(lambda: 0)
    metrics.upstream_failed("temporary")
    metrics.replied(250)
    metrics.violations.labels("r", "reject").inc()
    metrics.messages.labels("deliver", "delivered").inc()
    text = generate_latest(metrics.registry).decode()
    return {s.name for f in text_string_to_metric_families(text) for s in f.samples}


def test_alerts_and_dashboard_query_only_metrics_the_gate_exports(tmp_path: Path) -> None:
    """Every piigate_ series named in the alert rules and the Grafana dashboard is one the
    gate exports, and the alerts cover upstream failures, the 451 rate and quarantine growth."""
    exported = _gate_metric_names(tmp_path)
    alerts = yaml.safe_load((REPO / "deploy" / "prometheus-alerts.yml").read_text())
    rules = alerts["groups"][0]["rules"]
    dashboard = json.loads((REPO / "deploy" / "grafana-dashboard.json").read_text())
    exprs = [r["expr"] for r in rules] + [
        t["expr"] for p in dashboard["panels"] for t in p["targets"]
    ]
    named = {name for e in exprs for name in re.findall(r"piigate_[a-z_]+", e)}
    assert named and named <= exported
    names = {r["alert"] for r in rules}
    assert {
        "PiigateUpstreamFailing",
        "PiigateTempfailRateHigh",
        "PiigateQuarantineGrowing",
    } <= names


async def test_the_images_health_check_command_tracks_healthz(
    shipped_settings: Settings, tmp_path: Path, screener: Screener, sink: Sink
) -> None:
    """The Dockerfile's HEALTHCHECK command, run as written against a live gate (its port
    swapped for the test's), exits 0 while healthy and non-zero once /healthz says 503."""
    check = dict(instructions(REPO / "Dockerfile"))["HEALTHCHECK"]
    argv = json.loads(check.split(" CMD ", 1)[1])
    assert argv[0] == "python"
    settings = settings_for(shipped_settings, tmp_path, sink.address)

    def run_check(port: int) -> int:
        code = argv[2].replace("127.0.0.1:8025", f"127.0.0.1:{port}")
        return subprocess.run(
            [sys.executable, "-c", code], capture_output=True, check=False
        ).returncode

    async with running_service(settings, screener) as service:
        assert service.http is not None
        port = service.http.address[1]
        assert await asyncio.to_thread(run_check, port) == 0
        service.gate.close()
        assert await asyncio.to_thread(run_check, port) != 0
