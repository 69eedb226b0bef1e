"""The generation runner as users run it: jobs in the store, resuming, failures recorded while the rest go on,
--retry-failed, one worker per device, shards and merge, `run` with folders made elsewhere and several seeds,
SIGKILL at random moments, and the Ray executor on a local instance."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from a2bench.cli.app import app
from a2bench.data.suites import Suite
from a2bench.evaluation import ScoringOptions
from a2bench.generate.runner import run_lock
from a2bench.store import STORE_FILE, Store
from a2bench.video.io import read_video
from tests.cli_helpers import assert_clean_failure, run_cli
from tests.fake_repos import calls, make_repo, method_table, write_config
from tests.generate_plugins import PLUGINS

ROOT = Path(__file__).resolve().parent.parent
CASES = 8


@pytest.fixture(scope="session")
def plugin_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A "lab package" registering the test adapters through the a2bench.adapters entry point."""
    site = tmp_path_factory.mktemp("lab-site")
    info = site / "a2bench_test_lab-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: a2bench-test-lab\nVersion: 0.1\n")
    entries = "\n".join(f"{name} = {target}" for name, target in PLUGINS.items())
    (info / "entry_points.txt").write_text(f"[a2bench.adapters]\n{entries}\n")
    return {"PYTHONPATH": os.pathsep.join([str(site), str(ROOT)])}


def jobs(run_dir: Path) -> list[dict[str, object]]:
    with sqlite3.connect(run_dir / STORE_FILE) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("SELECT * FROM jobs ORDER BY method, seed, case_id")]


def generate(suite: Suite, out: Path, *options: str | Path, env: dict[str, str] | None = None
             ) -> subprocess.CompletedProcess[str]:
    return run_cli("generate", "--suite", "synth-mini", "--root", suite.folder.parent, "--out", out, *options,
                   env=env)


def test_jobs_are_recorded_and_a_second_run_skips_them(synth_mini: Suite, tmp_path: Path) -> None:
    out = tmp_path / "run"
    first = generate(synth_mini, out, "--method", "static")
    assert first.returncode == 0, first.stderr
    assert f"{CASES} of {CASES} jobs done, 0 failed" in first.stdout
    rows = jobs(out)
    assert len(rows) == CASES and {r["state"] for r in rows} == {"done"} and {r["device"] for r in rows} == {"cpu"}
    assert all(r["seconds"] > 0 and r["peak_gpu_bytes"] is None and r["setting"] == "self" for r in rows)
    assert read_video(out / str(rows[0]["path"])).shape == (24, 256, 256, 3)
    again = generate(synth_mini, out, "--method", "static")
    assert again.returncode == 0 and {r["attempts"] for r in jobs(out)} == {1}


def test_a_dying_worker_fails_its_job_and_the_run_goes_on(synth_mini: Suite, tmp_path: Path,
                                                         plugin_env: dict[str, str]) -> None:
    out = tmp_path / "run"
    result = generate(synth_mini, out, "--method", "test-die", "--shard", "2/4", env=plugin_env)
    assert_clean_failure(result, "1 of 2 jobs failed", "--retry-failed")
    states = {r["case_id"]: (r["state"], r["reason"]) for r in jobs(out)}
    assert states["stout-dance-05"][0] == "done"
    assert "the worker process died (exit code 7)" in str(states["armless-dance-01"][1])
    assert "failed: test-die / armless-dance-01 / seed 0: the worker process died" in result.stderr


def test_an_in_process_method_past_its_time_limit_is_stopped(synth_mini: Suite, tmp_path: Path,
                                                            plugin_env: dict[str, str]) -> None:
    config = write_config(tmp_path / "a2bench.toml", {"test-hang": {"timeout": 1}})
    started = time.monotonic()
    result = generate(synth_mini, tmp_path / "run", "--method", "test-hang", "--shard", "1/8", "--config", config,
                      env=plugin_env)
    assert_clean_failure(result, "1 of 1 jobs failed")
    assert "ran past its time limit of 1 s" in str(jobs(tmp_path / "run")[0]["reason"])
    assert time.monotonic() - started < 60


def test_failed_jobs_run_again_only_with_retry_failed(synth_mini: Suite, tmp_path: Path) -> None:
    repo = make_repo("moore-animateanyone", tmp_path)
    config = write_config(tmp_path / "a2bench.toml", {"moore-animateanyone": method_table("moore-animateanyone",
                                                                                          repo)})
    options = ("--method", "moore-animateanyone", "--shard", "1/8", "--config", config)
    (repo / "fake_mode").write_text("crash")
    assert_clean_failure(generate(synth_mini, tmp_path / "run", *options), "1 of 1 jobs failed")
    (job,) = jobs(tmp_path / "run")
    assert "exited with status 1" in str(job["reason"]) and "CUDA out of memory" in str(job["log_tail"])
    (repo / "fake_mode").unlink()
    assert generate(synth_mini, tmp_path / "run", *options).returncode == 1 and len(calls(repo)) == 1
    retried = generate(synth_mini, tmp_path / "run", *options, "--retry-failed")
    assert retried.returncode == 0, retried.stderr
    assert len(calls(repo)) == 2 and jobs(tmp_path / "run")[0]["state"] == "done"


def test_one_worker_per_device_each_seeing_one_gpu(synth_mini: Suite, tmp_path: Path) -> None:
    repo = make_repo("musepose", tmp_path)
    config = write_config(tmp_path / "a2bench.toml", {"musepose": method_table("musepose", repo)})
    result = generate(synth_mini, tmp_path / "run", "--method", "musepose", "--shard", "1/4", "--devices",
                      "cuda:0,cuda:1", "--config", config)
    assert result.returncode == 0, result.stderr
    assert sorted(call["visible"] for call in calls(repo)) == ["0", "1"]
    assert sorted(str(r["device"]) for r in jobs(tmp_path / "run")) == ["cuda:0", "cuda:1"]


def test_shards_merge_into_one_run_that_run_completes(synth_mini: Suite, tmp_path: Path) -> None:
    for index in (1, 2):
        assert generate(synth_mini, tmp_path / f"shard{index}", "--method", "static", "--shard",
                        f"{index}/2").returncode == 0
    assert len(jobs(tmp_path / "shard1")) == CASES // 2
    merged = run_cli("merge", tmp_path / "shard1", tmp_path / "shard2", "--out", tmp_path / "all")
    assert merged.returncode == 0, merged.stderr
    assert f"merged {CASES} jobs ({CASES} videos)" in merged.stdout
    rows = jobs(tmp_path / "all")
    assert len(rows) == CASES and all((tmp_path / "all" / str(r["path"])).is_dir() for r in rows)
    shutil.rmtree(tmp_path / "shard1")  # the merged run stands on its own
    scored = run_cli("run", "--suite", "synth-mini", "--root", synth_mini.folder.parent, "--methods", "static",
                     "--metrics", "psnr", "--out", tmp_path / "all")
    assert scored.returncode == 0, scored.stderr
    assert {r["attempts"] for r in jobs(tmp_path / "all")} == {1}  # nothing generated again
    results = json.loads((tmp_path / "all" / "results.json").read_text())
    assert len(results["methods"]["static"]["per_case"]) == CASES


def test_merge_refuses_runs_of_another_setting_or_protocol(synth_mini: Suite, tmp_path: Path) -> None:
    assert generate(synth_mini, tmp_path / "a", "--method", "static", "--shard", "1/8").returncode == 0
    with Store(tmp_path / "a" / STORE_FILE) as first, Store(tmp_path / "b" / STORE_FILE) as other:
        other.open_generation({**first.generation(), "setting": "rescaled"})  # type: ignore[dict-item]
    assert_clean_failure(run_cli("merge", tmp_path / "a", tmp_path / "b", "--out", tmp_path / "c"),
                         "setting: self vs rescaled", "nothing was merged")
    identity = {"protocol": "animatex-paper", "protocol_version": "1", "protocol_digest": "d1", "suite": None,
                "ground_truth": None, "metrics": ["psnr"], "device_type": "cpu", "mode": "exact", "weights": {}}
    for name, digest in (("x", "d1"), ("y", "d2")):
        with Store(tmp_path / name / STORE_FILE) as store:
            store.open_run({**identity, "protocol_digest": digest}, {}, {}, lambda old, new: dict(old),
                           lambda old, new: dict(old))
    assert_clean_failure(run_cli("merge", tmp_path / "x", tmp_path / "y", "--out", tmp_path / "z"),
                         "protocol digest: d1 vs d2")
    assert not (tmp_path / "c" / STORE_FILE).exists() or not jobs(tmp_path / "c")


def test_run_scores_folders_made_elsewhere_and_reports_every_failed_case(synth_mini: Suite, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert generate(synth_mini, out, "--method", "static").returncode == 0
    theirs = tmp_path / "theirs"
    shutil.copytree(out / "videos" / "static" / "seed-0", theirs)
    shutil.rmtree(theirs / "lanky-dance-03")
    (theirs / "extra-clip.mp4").write_bytes(b"")
    result = run_cli("run", "--suite", "synth-mini", "--root", synth_mini.folder.parent, "--methods",
                     f"static,theirs={theirs},animate-x", "--metrics", "psnr,l1", "--out", out)
    assert_clean_failure(result, "jobs failed")
    assert "not cases of synth-mini and were ignored: extra-clip" in result.stderr
    assert {r["attempts"] for r in jobs(out) if r["method"] == "static"} == {1}  # generated once
    results = json.loads((out / "results.json").read_text())
    static, folder, missing = (results["methods"][m] for m in ("static", "theirs", "animate-x"))
    assert static["failed"] == {} and static["cost"]["videos"] == CASES and static["cost"]["peak_gpu_bytes"] is None
    assert folder["failed"] == {"lanky-dance-03": f"no video named lanky-dance-03 (.mp4 or a frame folder) in {theirs}"}
    assert "cost" not in folder and len(folder["per_case"]) == CASES - 1
    assert folder["metrics"]["psnr"]["value"] == pytest.approx(static["metrics"]["psnr"]["value"], abs=0.5)
    assert len(missing["failed"]) == CASES and missing["metrics"]["psnr"]["value"] is None
    assert "not configured: add a [methods.animate-x] table" in missing["failed"]["humanoid-dance-00"]
    assert len(results["cases"]) == CASES and (out / "leaderboard.html").exists() and (out / "leaderboard.md").exists()


def test_several_seeds_give_the_mean_and_the_spread(synth_mini: Suite, tmp_path: Path,
                                                    plugin_env: dict[str, str]) -> None:
    out = tmp_path / "run"
    result = run_cli("run", "--suite", "synth-mini", "--root", synth_mini.folder.parent, "--methods", "test-noise",
                     "--seeds", "0,1", "--shard", "1/2", "--metrics", "psnr", "--out", out, env=plugin_env)
    assert result.returncode == 0, result.stderr
    results = json.loads((out / "results.json").read_text())
    entry = results["methods"]["test-noise"]
    psnr = entry["metrics"]["psnr"]
    values = [psnr["seeds"]["0"], psnr["seeds"]["1"]]
    assert values[0] != values[1] and psnr["value"] == pytest.approx(sum(values) / 2)
    assert psnr["std"] > 0 and psnr["range"] == [min(values), max(values)] and psnr["ci95"] is None
    assert entry["seeds"] == [0, 1] and set(entry["per_seed"]) == {"0", "1"}
    assert entry["per_seed"]["1"]["metrics"]["psnr"]["value"] == values[1] and entry["cost"]["videos"] == CASES
    assert sorted(entry["per_case"]) == sorted(entry["per_seed"]["0"]["per_case"]) and entry["failed"] == {}
    assert results["provenance"]["seeds"]["generation"] == [0, 1]


@pytest.mark.parametrize(("options", "fragments"), [
    (["--method", "static", "--shard", "0/2"], ["--shard '0/2'", "1 ≤ i ≤ n"]),
    (["--method", "static", "--seeds", "a"], ["--seeds 'a'"]),
    (["--method", "static", "--devices", "tpu"], ["'tpu' is not cpu or cuda:N"]),
    (["--method", "static", "--executor", "slurm"], ["--executor 'slurm'"]),
    (["--method", "nosuch"], ["unknown method 'nosuch'", "static"]),
    (["--method", "x=folder"], ["NAME=DIR folders are scored by `a2bench run`"]),
])
def test_bad_generate_options_fail_cleanly(synth_mini: Suite, tmp_path: Path, options: list[str],
                                           fragments: list[str]) -> None:
    assert_clean_failure(generate(synth_mini, tmp_path / "run", *options), *fragments)
    assert not (tmp_path / "run").exists()


def test_run_with_a_missing_folder_of_videos_fails_before_creating_the_run(synth_mini: Suite, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert_clean_failure(run_cli("run", "--suite", "synth-mini", "--root", synth_mini.folder.parent, "--methods",
                                 f"mine={tmp_path / 'nope'}", "--out", out),
                         "mine: the folder of videos does not exist", "NAME=DIR")
    assert not out.exists()


def test_a_run_directory_holds_one_setting_and_one_writer(synth_mini: Suite, tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert generate(synth_mini, out, "--method", "static", "--shard", "1/8").returncode == 0
    with Store(out / STORE_FILE) as store, store.db:
        store.db.execute("UPDATE generation SET identity=json_set(identity, '$.setting', 'rescaled')")
    assert_clean_failure(generate(synth_mini, out, "--method", "static"), "setting: rescaled vs self",
                         "another --out")
    with run_lock(tmp_path):
        assert_clean_failure(generate(synth_mini, tmp_path, "--method", "static"), "is generating into this run")


def _valid_done_jobs(out: Path) -> set[tuple[object, ...]]:
    """Every job marked done has its complete video; returns their keys."""
    done = set()
    for row in jobs(out):
        if row["state"] == "done":
            assert read_video(out / str(row["path"])).shape == (24, 256, 256, 3), row
            done.add((row["method"], row["case_id"], row["seed"]))
    return done


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_no_finished_job(synth_mini: Suite, tmp_path: Path,
                                                         plugin_env: dict[str, str]) -> None:
    out = tmp_path / "run"
    command = [sys.executable, "-m", "a2bench", "generate", "--suite", "synth-mini", "--root",
               str(synth_mini.folder.parent), "--method", "test-slow", "--seeds", "0,1,2", "--devices", "cpu,cpu",
               "--out", str(out), "--quiet"]
    env = {**os.environ, **plugin_env}
    rng = random.Random(9)
    done: set[tuple[object, ...]] = set()
    for _ in range(4):
        process = subprocess.Popen(command, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(1.5, 6.0))
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        now = _valid_done_jobs(out)
        assert done <= now  # a finished job is never lost
        done = now
    final = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert final.returncode == 0, final.stderr
    assert len(_valid_done_jobs(out)) == 3 * CASES
    assert not list((out / "videos").rglob("*.a2bench-tmp-*"))  # half-written videos of killed runs are gone


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.slow
def test_the_ray_executor_runs_one_task_per_job(synth_mini: Suite, tmp_path: Path) -> None:
    pytest.importorskip("ray", reason="the Ray executor needs `pip install 'a2bench[ray]'`")
    port = _free_port()
    temp = Path(tempfile.mkdtemp(prefix="a2b-ray-", dir="/tmp"))  # Ray's socket paths must stay short
    head = subprocess.Popen([sys.executable, "-m", "ray.scripts.scripts", "start", "--head", "--num-cpus", "2",
                             "--num-gpus", "0", f"--port={port}", "--include-dashboard=false", "--block",
                             "--disable-usage-stats", f"--temp-dir={temp}"],
                            start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(120):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.5)
        result = run_cli("generate", "--suite", "synth-mini", "--root", synth_mini.folder.parent, "--method",
                         "static", "--executor", "ray", "--ray-address", f"127.0.0.1:{port}", "--out",
                         tmp_path / "run", timeout=300)
        assert result.returncode == 0, result.stderr
        rows = jobs(tmp_path / "run")
        assert len(rows) == CASES and {r["state"] for r in rows} == {"done"} and {r["device"] for r in rows} == {"cpu"}
        assert len(_valid_done_jobs(tmp_path / "run")) == CASES
    finally:
        os.killpg(head.pid, signal.SIGTERM)
        try:
            head.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
        shutil.rmtree(temp, ignore_errors=True)


@pytest.mark.parametrize("command", [["generate"], ["run"], ["merge"], ["methods", "list"]])
def test_the_generation_commands_have_help(command: list[str]) -> None:
    result = run_cli(*command, "--help")
    assert result.returncode == 0 and "Usage" in result.stdout


def test_run_takes_evaluates_workers_option_and_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    commands = typer.main.get_command(app).commands  # type: ignore[attr-defined]
    run_option, evaluate_option = (next(p for p in commands[name].params if p.name == "workers")
                                   for name in ("run", "evaluate"))
    assert run_option.default is None and run_option.help == evaluate_option.help and "one per core" in run_option.help
    shown = CliRunner().invoke(app, ["run", "--help"], env={"COLUMNS": "200"}).output
    workers_help = shown.split("--workers")[1].split("\n  --")[0]
    assert "one per core but one" in workers_help and "[default:" not in workers_help  # no "[default: 0" beside it
    seen: list[int | None] = []

    def scoring_workers(out_dir: Path, generation: object, scoring: ScoringOptions, **_: object) -> None:
        seen.append(scoring.workers)
        raise typer.Exit(0)

    monkeypatch.setattr("a2bench.cli.run.generate_options", lambda *_: None)
    monkeypatch.setattr("a2bench.run.run_suite", scoring_workers)
    for extra in ([], ["--workers", "3"]):
        result = CliRunner().invoke(app, ["run", "--suite", "synth-mini", "--methods", "static", "--out",
                                          str(tmp_path), *extra])
        assert result.exit_code == 0, result.output
    assert seen == [None, 3]  # None: one per core but one, as evaluate


def test_evaluate_lists_missing_and_unexpected_files_together(synth_mini: Suite, tmp_path: Path) -> None:
    folder = tmp_path / "videos"
    folder.mkdir()
    for case in synth_mini.cases():
        if case.id != "chibi-dance-02":
            (folder / f"{case.id}.mp4").write_bytes(b"")
    (folder / "not-a-case.mp4").write_bytes(b"")
    result = run_cli("evaluate", "--pred", folder, "--suite", "synth-mini", "--root", synth_mini.folder.parent,
                     "--method", "theirs", "--metrics", "psnr")
    assert_clean_failure(result, "'not-a-case' are not cases of synth-mini", "no prediction for 'chibi-dance-02'")
