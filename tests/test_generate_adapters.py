"""Contract tests of the six external-repository adapters against fake repositories (tests/fake_repos): each
fake reads the staged inputs as the real repository does, fails loudly on what it would reject and writes where
it writes; and every way a model can fail becomes its job's recorded reason."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import yaml

from a2bench.data.poses.format import PoseSequence
from a2bench.data.settings import SuiteSetting, open_setting
from a2bench.data.suites import Suite
from a2bench.generate.adapter import get_adapter
from a2bench.generate.config import MethodConfig
from a2bench.generate.job import JobResult, JobSpec, execute
from a2bench.generate.request import build_request
from a2bench.generate.runner import case_files, job_paths
from a2bench.video.io import read_image, read_video
from tests.cli_helpers import assert_clean_failure, run_cli
from tests.fake_repos import FOLDERS, calls, make_repo, method_table, write_config
from tests.test_generate_harness import gone

CASE = 0  # the synth-mini case the contract tests animate


@pytest.fixture(scope="module")
def setting(synth_mini: Suite) -> SuiteSetting:
    return open_setting(synth_mini, "self")


def config_for(method: str, repo: Path, **extra: object) -> MethodConfig:
    table = method_table(method, repo)
    options = {key: value for key, value in table.items() if key not in ("repo", "python")}
    return MethodConfig(method, repo / "a2bench.toml", repo=repo, python=Path(table["python"]), options=options,
                        **extra)  # type: ignore[arg-type]


def spec(method: str, setting: SuiteSetting, run_dir: Path, config: MethodConfig, seed: int = 0) -> JobSpec:
    case = setting.cases[CASE]
    output, workdir, log = job_paths(run_dir, method, seed, case.id)
    return JobSpec(method, case.id, seed, "self", case_files(setting, case, {}), (256, 256), 8, output, workdir,
                   log, config, config.timeout)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(255 ** 2 / np.mean((a.astype(float) - b.astype(float)) ** 2)))


@pytest.fixture(scope="module")
def repos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("repos")
    return {method: make_repo(method, root) for method in FOLDERS}


@pytest.mark.parametrize("method", list(FOLDERS))
def test_each_repository_runs_its_own_command_and_its_video_is_collected(
        method: str, repos: dict[str, Path], setting: SuiteSetting, tmp_path: Path) -> None:
    job = spec(method, setting, tmp_path, config_for(method, repos[method]))
    result = execute(job, "cuda:1")
    assert result.done, (result.reason, result.log_tail)
    video = read_video(job.output)
    assert video.shape == (24, 256, 256, 3)
    reference = read_image(setting.cases[CASE].reference)
    assert psnr(video[5], np.roll(reference, 1, axis=2)) > 30  # the result panel, letterbox undone, resized
    (call,) = calls(repos[method])[-1:]
    adapter = get_adapter(method, job.config)
    assert call["visible"] == "1" and Path(call["cwd"]) == adapter.code  # type: ignore[attr-defined]
    assert "CUDA_VISIBLE_DEVICES=1" in job.log.read_text() and not job.workdir.exists()
    assert "letterboxed 256×256" in result.normalised["size"]
    output = repos[method] / "output"
    assert not output.exists() or not [p for p in output.rglob("*") if p.is_file()]  # nothing left in the repo


def test_animate_x_stages_what_process_data_writes(repos: dict[str, Path], setting: SuiteSetting,
                                                   tmp_path: Path) -> None:
    config = config_for("animate-x", repos["animate-x"])
    adapter = get_adapter("animate-x", config)
    case = setting.cases[CASE]
    request = build_request(case, (256, 256), 7, adapter, workdir=tmp_path, log=tmp_path / "log")
    staged = adapter.stage(request, tmp_path)  # type: ignore[attr-defined]
    data = tmp_path / "data"
    poses = sorted(p.name for p in (data / "saved_pose" / case.id).iterdir())
    frames = sorted(p.name for p in (data / "saved_frames" / case.id).iterdir())
    assert frames == [f"frame_{i:04d}.jpg" for i in range(24)] and poses == [*frames, "ref_pose.jpg"]
    keypoints = yaml.safe_load((tmp_path / "a2bench_job.yaml").read_text())
    pkl = data / "saved_pkl" / f"{case.id}.pkl"
    assert keypoints["test_list_path"] == [[1, str(data / "images" / f"{case.id}.png"),
                                            str(data / "saved_pose" / case.id), str(data / "saved_frames" / case.id),
                                            str(pkl), 7]]
    assert keypoints["round"] == 1 and keypoints["max_frames"] == 24 and keypoints["resolution"] == [512, 768]
    assert keypoints["seed"] == 7 and keypoints["save_fps"] == 8 and "seq_len" not in keypoints["UNet"]
    assert keypoints["test_model"] == str(repos["animate-x"] / "checkpoints" / "animate-x_ckpt.pth")
    assert keypoints["TASK_TYPE"] == "inference_animate_x_entrance"  # the repository's own keys are kept
    assert (data / "saved_pkl" / f"{case.id}_ref_pose.pkl").exists()
    assert staged.argv == ["inference.py", "--cfg", str(tmp_path / "a2bench_job.yaml"), "--debug"]
    longer = replace(request, driving_poses=np.concatenate([request.driving_poses] * 2),
                     poses=PoseSequence(np.concatenate([request.poses.body] * 2), request.poses.image_size),  # type: ignore[union-attr]
                     driving_frames=np.concatenate([request.driving_frames] * 2))  # type: ignore[list-item]
    adapter.stage(longer, tmp_path / "long")  # type: ignore[attr-defined]
    assert yaml.safe_load((tmp_path / "long" / "a2bench_job.yaml").read_text())["UNet"]["seq_len"] == 49


def test_the_fake_animate_x_crashes_where_the_real_sampler_does(repos: dict[str, Path], setting: SuiteSetting,
                                                                tmp_path: Path) -> None:
    config = replace(config_for("animate-x", repos["animate-x"]), overrides={"max_frames": 32})
    result = execute(spec("animate-x", setting, tmp_path, config), "cuda:0")
    assert not result.done and "animate-x exited with status 1" in str(result.reason)
    assert "IndexError" in result.log_tail  # 24 poses, max_frames 32: why a2bench sets max_frames to the case


def _run_in_mode(mode: str, setting: SuiteSetting, tmp_path: Path, **config: object) -> tuple[JobResult, Path]:
    repo = make_repo("animate-x", tmp_path / "repo")
    (repo / "fake_mode").write_text(mode)
    return execute(spec("animate-x", setting, tmp_path / "run", config_for("animate-x", repo, **config)),
                   "cuda:0"), repo


@pytest.mark.parametrize(("mode", "reason", "tail"), [
    ("crash", "animate-x exited with status 1", "CUDA out of memory (fake crash)"),
    ("nothing", "the method wrote no result video", ""),
    ("short", "wrote 21 frames, but the case has 24 driving poses", ""),
    ("wrongsize", "wrote a 386×258 video, but a2bench asked for 768×512", ""),
    ("undecodable", "the output video cannot be decoded", ""),
])
def test_every_way_a_model_fails_is_the_jobs_reason(mode: str, reason: str, tail: str, setting: SuiteSetting,
                                                    tmp_path: Path) -> None:
    result, _ = _run_in_mode(mode, setting, tmp_path)
    assert not result.done and reason in str(result.reason), result.reason
    assert tail in result.log_tail and "a2bench: job failed" in result.log_tail


def test_a_hanging_model_is_killed_at_its_time_limit(setting: SuiteSetting, tmp_path: Path) -> None:
    started = time.monotonic()
    result, repo = _run_in_mode("hang", setting, tmp_path, timeout=3.0)
    assert not result.done and "did not finish within 3 s and was killed" in str(result.reason)
    assert time.monotonic() - started < 30 and gone(calls(repo)[-1]["pid"])
    assert "raise timeout in [methods.animate-x]" in str(result.reason)


def test_methods_list_shows_readiness_and_what_to_fix(tmp_path: Path) -> None:
    ready = make_repo("animate-x", tmp_path / "a")
    no_weights = make_repo("musepose", tmp_path / "b", checkpoints=False)
    config = write_config(tmp_path / "a2bench.toml", {
        "animate-x": method_table("animate-x", ready),
        "unianimate": method_table("unianimate", ready),
        "musepose": method_table("musepose", no_weights),
        "mimicmotion": {"repo": str(tmp_path / "missing"), "python": str(tmp_path / "no-python")},
        "animatex": {"repo": str(ready)},
    })
    result = run_cli("methods", "list", "--config", config)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("│ animate-x") and "yes (GPU)" in line for line in lines), result.stdout
    assert f"unianimate: {ready} is not a ali-vilab/UniAnimate checkout" in result.stdout
    assert "musepose: checkpoint" in result.stdout and "MusePose/denoising_unet.pth is missing" in result.stdout
    assert "mimicmotion: repo" in result.stdout and "does not exist" in result.stdout
    assert "is not an executable file" in result.stdout and "moore-animateanyone: not configured" in result.stdout
    assert "[methods.animatex]" in result.stdout and "names no registered method" in result.stdout


def test_a_gpu_method_on_cpu_devices_is_refused_before_any_work(tmp_path: Path, synth_mini: Suite) -> None:
    repo = make_repo("animate-x", tmp_path)
    config = write_config(tmp_path / "a2bench.toml", {"animate-x": method_table("animate-x", repo)})
    result = run_cli("generate", "--suite", "synth-mini", "--root", synth_mini.folder.parent, "--method", "animate-x",
                     "--devices", "cpu", "--config", config, "--out", tmp_path / "run")
    assert_clean_failure(result, "animate-x run(s) on a GPU", "--devices cuda:0")
    assert calls(repo) == []


def test_the_config_file_in_effect_is_used_by_generate(tmp_path: Path, synth_mini: Suite,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo("unianimate", tmp_path)
    config = write_config(tmp_path / "lab.toml", {"unianimate": method_table("unianimate", repo)})
    result = run_cli("generate", "--suite", "synth-mini", "--root", synth_mini.folder.parent, "--method",
                     "unianimate", "--devices", "cuda:3", "--shard", "1/8", "--out", tmp_path / "run",
                     cwd=tmp_path, env={"A2BENCH_CONFIG": str(config)})
    assert result.returncode == 0, result.stderr
    assert "1 of 1 jobs done" in result.stdout and [c["visible"] for c in calls(repo)] == ["3"]
    assert json.loads((repo / "calls.jsonl").read_text().splitlines()[0])["argv"][-1] == "--debug"
