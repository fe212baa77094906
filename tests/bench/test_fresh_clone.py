"""The benchmarks start on a fresh clone, where var/bench/ does not exist yet (bench_load.py used to fail there)."""
from __future__ import annotations

import bench.bench_nlu as bench_nlu


def test_training_snapshot_creates_the_work_directory(tmp_path, monkeypatch):
    work = tmp_path / "var" / "bench"
    monkeypatch.setattr(bench_nlu, "WORK_DIR", work)
    snapshot = bench_nlu.snapshot_training_data()
    assert snapshot.parent == work and (snapshot / "domain.yml").exists() and (snapshot / "data").is_dir()
    assert bench_nlu.snapshot_training_data() == snapshot  # the same inputs: reused
