"""The benchmark command keeps working (figures are measured by `make bench`, not here)."""

from benchmarks.__main__ import main


def test_photo_benchmark_runs_end_to_end(capsys):
    assert main(["--only", "photo_ingest", "--count", "1", "--rounds", "1", "--no-write"]) == 0
    out = capsys.readouterr().out
    assert "naive Pillow" in out and "pyvips" in out and "photos/s" in out


def test_patrol_data_benchmark_measures_one_patrol(capsys):
    assert main(["--only", "patrol_data", "--no-write"]) == 0
    out = capsys.readouterr().out
    assert "One patrol:" in out and "Offline pack" in out
