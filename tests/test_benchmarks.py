"""The benchmark harness runs end to end (no timing is asserted)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(not (ROOT / "benchmarks" / "run.py").exists(),
                                reason="needs the source checkout's benchmarks/")


def test_quick_benchmark_run_writes_every_row(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    (path,) = tmp_path.glob("*-quick.json")
    rows = json.loads(path.read_text())["rows"]
    assert {r["workload"] for r in rows} == {"W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8",
                                             "W9", "W10", "Memory"}
    # Each tool's row compares the same results, with and without stacking.
    tools = [r for r in rows if r["workload"] in ("W6", "W7", "W8", "W9", "W10")]
    assert all(r["same_results"] and r["without_context_s"] > 0 for r in tools), tools
    for row in rows:
        assert "skipped" in row or row["ratio"] > 0, row
    assert "| W3 | perceptron, batch 1 (online rule)" in result.stdout
    assert "| W3 | perceptron, batch 1, sparse CSR" in result.stdout
    # W5's rows carry the exp/log floor they are measured against.
    w5 = [r for r in rows if r["workload"] == "W5" and "skipped" not in r]
    assert w5 and all(0 < r["floor_us_per_step"] < r["ours_us_per_step"] for r in w5), w5
