"""The digits service's monitoring files: valid for Prometheus, alert rules that fire when they should, and a
dashboard and rules that only use series the service really exports."""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SERVICE = ROOT / "services" / "digits"
MONITORING = SERVICE / "monitoring"
PROMTOOL = shutil.which("promtool")
needs_promtool = pytest.mark.skipif(
    not PROMTOOL and not os.environ.get("CI"),
    reason="needs promtool: sudo apt-get install prometheus (make test installs it when root)")


def promtool(*args: str, cwd: Path = MONITORING) -> str:
    assert PROMTOOL, "promtool is missing: `make system-tools` installs Debian's prometheus package"
    result = subprocess.run([PROMTOOL, *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


@needs_promtool
def test_prometheus_config_and_rules_are_valid() -> None:
    assert "SUCCESS" in promtool("check", "config", "prometheus.yml")
    assert "5 rules found" in promtool("check", "rules", "alerts.yml")


@needs_promtool
def test_alert_rules_fire_when_they_should() -> None:
    assert "SUCCESS" in promtool("test", "rules", "alerts_test.yml")


def _dashboard_exprs() -> list[str]:
    dashboard = json.loads((MONITORING / "grafana-dashboard.json").read_text(encoding="utf-8"))
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


@needs_promtool
def test_dashboard_queries_are_valid_promql(tmp_path: Path) -> None:
    # promtool has no "check this expression"; a recording rule per query gets each one parsed.
    rules = {"groups": [{"name": "dashboard", "rules": [
        {"record": f"dashboard:panel_{i}", "expr": expr} for i, expr in enumerate(_dashboard_exprs())]}]}
    (tmp_path / "dashboard_rules.yml").write_text(yaml.safe_dump(rules), encoding="utf-8")
    promtool("check", "rules", "dashboard_rules.yml", cwd=tmp_path)


def _exported_series() -> set[str]:
    sys.path.insert(0, str(SERVICE))
    try:
        sys.modules.pop("metrics", None)
        metrics = importlib.import_module("metrics")
        suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"], "gauge": [""]}
        # Every series a family can export, even before its first sample (labelled series appear on first use).
        return {family.name + suffix for family in metrics.REGISTRY.collect() for suffix in suffixes[family.type]}
    finally:
        sys.path.remove(str(SERVICE))
        sys.modules.pop("metrics", None)


def test_rules_and_dashboard_use_only_exported_series() -> None:
    exported = _exported_series()
    rules_text = (MONITORING / "alerts.yml").read_text(encoding="utf-8")
    used = set(re.findall(r"\bdigits_[a-z_]+", rules_text + "\n".join(_dashboard_exprs())))
    assert used, "no digits_* series found in the rules or dashboard"
    assert used <= exported, f"not exported by the service: {sorted(used - exported)}"
    assert {"digits_requests_total", "digits_request_seconds_bucket", "digits_prediction_confidence_sum",
            "digits_input_ink_fraction_sum"} <= used


def test_scrape_target_matches_the_service() -> None:
    config = yaml.safe_load((MONITORING / "prometheus.yml").read_text(encoding="utf-8"))
    job = next(job for job in config["scrape_configs"] if job["job_name"] == "digits")
    assert job["metrics_path"] == "/metrics"
    assert '@app.get("/metrics"' in (SERVICE / "app.py").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    port = re.search(r"^SERVE_PORT \?= (\d+)$", makefile, re.M).group(1)  # type: ignore[union-attr]
    assert job["static_configs"][0]["targets"] == [f"127.0.0.1:{port}"]
    assert config["rule_files"] == ["alerts.yml"] and (MONITORING / "alerts.yml").is_file()
