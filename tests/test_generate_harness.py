"""The generation harness without a run: fitting the protocol frame into a native canvas and back, checking and
normalising outputs, the repositories' pose drawing and keypoint pickles, method configuration, readiness,
requests built from what an adapter consumes, the process runner and the NVML peak-memory sampler."""

from __future__ import annotations

import os
import pickle
import pickletools
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

import numpy as np
import pytest

from a2bench.data.poses.format import PoseSequence
from a2bench.data.suites import Suite
from a2bench.generate.adapter import Input, get_adapter
from a2bench.generate.config import ConfigError, MethodConfig, find_config, load_config
from a2bench.generate.drawing import DWPOSE_BODY_FOOT, MUSEPOSE, OPENPOSE_BODY, draw_frame, dwpose_keypoints
from a2bench.generate.geometry import Fit
from a2bench.generate.normalise import JobFailed, decode_output, normalise
from a2bench.generate.nvml import PeakGpuMemory, visible_device
from a2bench.generate.process import run_logged
from a2bench.generate.request import build_request
from a2bench.generate.staging import write_pickle
from tests.fake_repos import make_repo


def test_a_square_frame_is_letterboxed_into_a_portrait_canvas_and_recovered() -> None:
    fit = Fit.between((256, 256), (768, 512))
    assert fit.letterboxed and fit.box == (128, 0, 512, 512)
    ramp = np.linspace(0, 255, 256)
    image = np.stack(np.broadcast_arrays(ramp[:, None], ramp[None, :], 128.0), axis=-1).astype(np.uint8)
    canvas = fit.image(image)
    assert canvas.shape == (768, 512, 3) and not canvas[:128].any() and not canvas[-128:].any()
    back = fit.undo(canvas[None])[0]
    assert back.shape == (256, 256, 3) and np.abs(back.astype(int) - image).max() <= 2
    assert np.allclose(fit.points(np.array([[0.0, 0.0], [1.0, 1.0]])), [[0, 128 / 768], [1, 640 / 768]])


def test_matching_aspect_ratios_are_a_plain_resize() -> None:
    fit = Fit.between((384, 256), (768, 512))
    assert not fit.letterboxed and fit.describe() == "resized 384×256 to 768×512"
    assert np.allclose(fit.points(np.array([0.3, 0.7])), [0.3, 0.7])


def test_normalise_trims_extra_frames_and_records_what_it_did() -> None:
    fit = Fit.between((64, 64), (96, 64))
    frames = np.zeros((30, 96, 64, 3), dtype=np.uint8)
    out, done = normalise(frames, fit, 24, 8, source_fps=15.0)
    assert out.shape == (24, 64, 64, 3)
    assert done["frames"] == "trimmed 30 → 24 frames" and "letterboxed 64×64 into 96×64" in done["size"]
    assert done["fps"].startswith("15 → 8 fps")


@pytest.mark.parametrize(("shape", "message"), [((20, 96, 64, 3), "wrote 20 frames, but the case has 24"),
                                                ((24, 50, 64, 3), "wrote a 50×64 video, but a2bench asked for 96×64")])
def test_normalise_refuses_short_and_wrong_size_outputs(shape: tuple[int, ...], message: str) -> None:
    with pytest.raises(JobFailed, match=message):
        normalise(np.zeros(shape, dtype=np.uint8), Fit.between((64, 64), (96, 64)), 24, 8)


def test_missing_undecodable_and_mistyped_outputs_fail_with_the_reason(tmp_path: Path) -> None:
    with pytest.raises(JobFailed, match="wrote no output video"):
        decode_output(tmp_path / "none.mp4")
    (tmp_path / "bad.mp4").write_bytes(b"not a video")
    with pytest.raises(JobFailed, match="cannot be decoded"):
        decode_output(tmp_path / "bad.mp4")
    with pytest.raises(JobFailed, match="float64 frames"):
        decode_output(np.zeros((2, 4, 4, 3)))  # type: ignore[arg-type]


def _pose(face: bool = False) -> dict[str, np.ndarray]:
    """A T-pose: neck at the centre, shoulders left and right, a right hand, two visible left toes."""
    body = np.zeros((18, 3))
    body[1] = (0.5, 0.3, 1)
    body[2] = (0.3, 0.3, 1)  # right shoulder: limb 0 (neck→right shoulder) spans x 0.3–0.5 at y 0.3
    body[13] = (0.4, 0.8, 1)  # left ankle
    feet = np.zeros((6, 3))
    feet[0], feet[1] = (0.42, 0.9, 1), (0.46, 0.9, 1)
    hands = np.zeros((42, 3))
    hands[21:] = (0.8, 0.6, 1)
    hands[21 + 4] = (0.85, 0.7, 1)
    out = {"body": body, "feet": feet, "hands": hands}
    if face:
        out["face"] = np.tile([0.5, 0.1, 1.0], (68, 1))
    return out


def test_animate_x_pictures_are_stored_as_cv2_writes_them_with_feet_and_hands_and_no_face() -> None:
    pose = _pose(face=True)
    picture = draw_frame(DWPOSE_BODY_FOOT, pose["body"], 200, 200, pose["feet"], pose["hands"], pose["face"])
    assert tuple(picture[60, 80]) == (0, 0, 153)  # limb 0, listed (255, 0, 0), dimmed to 60 %, red/blue swapped
    assert tuple(picture[120, 160]) == (255, 0, 0)  # a hand point, listed (0, 0, 255), swapped
    assert picture[170:182, 80:90].any()  # left ankle → left toe midpoint (the 20-point body)
    assert not picture[18:22, 98:102].any()  # no face
    moore = draw_frame(OPENPOSE_BODY, pose["body"], 200, 200, pose["feet"], pose["hands"], pose["face"])
    assert tuple(moore[60, 80]) == (153, 0, 0) and tuple(moore[120, 160]) == (0, 0, 255)  # used as RGB
    assert tuple(moore[20, 100]) == (255, 255, 255) and not moore[170:182, 80:90].any()  # face, no feet


def test_musepose_pictures_use_length_dependent_widths_on_a_wide_canvas() -> None:
    pose = _pose()
    picture = draw_frame(MUSEPOSE, pose["body"], 100, 100, hands=pose["hands"])
    assert picture.shape == (100, 100, 3)
    assert tuple(np.round(picture[30, 40] / 10)) == (0, 0, 15)  # swapped limb 0, after the resize from 1024 wide


def test_keypoint_pickles_hold_hidden_points_as_minus_one_and_load_with_any_numpy(tmp_path: Path) -> None:
    pose = _pose()
    sequence = PoseSequence(np.stack([pose["body"]] * 3), (768, 512), {"hands": np.stack([pose["hands"]] * 3)})
    path = write_pickle(tmp_path / "case.pkl", dwpose_keypoints(sequence, 8))
    opcodes = [arg for op, arg, _ in pickletools.genops(path.read_bytes()) if op.name in ("SHORT_BINUNICODE",
                                                                                          "BINUNICODE")]
    assert "numpy" in opcodes and "array" in opcodes and not any("_core" in str(a) for a in opcodes)
    loaded = pickle.loads(path.read_bytes())
    assert loaded["bodies"].shape == (3, 18, 2) and loaded["bodies"].dtype == np.float32
    assert tuple(loaded["bodies"][0, 0]) == (-1, -1) and np.allclose(loaded["bodies"][0, 1], (0.5, 0.3))
    assert loaded["body_indices"][0, 1] == 1 and loaded["body_indices"][0, 0] == -1
    assert loaded["hands"].shape == (3, 2, 21, 2) and loaded["faces"].shape == (3, 68, 2)
    assert loaded["size"] == (768, 512, 3) and loaded["fps"] == 8


def test_config_is_found_in_the_documented_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    explicit, env, cwd, user = (tmp_path / name for name in ("explicit.toml", "env.toml", "cwd", "user"))
    cwd.mkdir()
    monkeypatch.chdir(cwd)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(user))
    monkeypatch.delenv("A2BENCH_CONFIG", raising=False)
    assert find_config() is None
    (user / "a2bench").mkdir(parents=True)
    (user / "a2bench" / "a2bench.toml").write_text("")
    assert find_config() == user / "a2bench" / "a2bench.toml"
    (cwd / "a2bench.toml").write_text("")
    assert find_config() == cwd / "a2bench.toml"
    env.write_text("")
    monkeypatch.setenv("A2BENCH_CONFIG", str(env))
    assert find_config() == env
    explicit.write_text("")
    assert find_config(explicit) == explicit
    with pytest.raises(ConfigError, match="does not exist"):
        find_config(tmp_path / "nowhere.toml")


def test_config_tables_are_validated_with_the_file_named(tmp_path: Path) -> None:
    path = tmp_path / "a2bench.toml"
    path.write_text('[methods.animate-x]\nrepo = "repo"\npython = "~/envs/ax/bin/python"\ntimeout = 60\n'
                    'extra_args = ["--x"]\nheight = 512\n')
    config = load_config(path)["animate-x"]
    assert config.repo == tmp_path / "repo" and config.python == Path.home() / "envs/ax/bin/python"
    assert config.timeout == 60 and config.extra_args == ("--x",) and config.options == {"height": 512}
    for text, message in [("[methods.x\n", "not valid TOML"), ("[other]\n", "unknown top-level"),
                          ('[methods.x]\ntimeout = "soon"\n', "timeout must be a positive number"),
                          ("[methods.x]\nextra_args = [1]\n", "extra_args must be a list of strings")]:
        path.write_text(text)
        with pytest.raises(ConfigError, match=message) as caught:
            load_config(path)
        assert str(path) in caught.value.line()


def test_readiness_names_what_is_missing(tmp_path: Path) -> None:
    def missing(**fields: object) -> str:
        config = MethodConfig("animate-x", tmp_path / "a2bench.toml", **fields)  # type: ignore[arg-type]
        return " | ".join(get_adapter("animate-x", config).readiness().missing)

    assert "not configured" in " ".join(get_adapter("animate-x").readiness().missing)
    repo = make_repo("animate-x", tmp_path)
    python = Path(sys.executable)
    assert missing(repo=repo, python=python) == ""
    assert "is not a antgroup/animate-x checkout (no inference.py)" in missing(repo=tmp_path, python=python)
    assert "does not exist" in missing(repo=tmp_path / "nope", python=python)
    assert "is not an executable file" in missing(repo=repo, python=tmp_path / "python")
    (repo / "checkpoints" / "v2-1_512-ema-pruned.ckpt").unlink()
    assert "checkpoint" in missing(repo=repo, python=python) and "v2-1_512-ema-pruned.ckpt is missing" in \
        missing(repo=repo, python=python)
    assert "unknown key 'heigth'" in missing(repo=repo, python=python, options={"heigth": 5})
    (repo / "checkpoints" / "animate-x_ckpt.pth").rename(repo / "checkpoints" / "animate-x.pth")
    assert "animate-x" not in missing(repo=repo, python=python).split("v2-1")[0]  # the README's name is accepted


def test_requests_hold_only_what_the_adapter_consumes_at_its_canvas(synth_mini: Suite, tmp_path: Path) -> None:
    case = synth_mini.cases()[0]
    plain = build_request(case, (256, 256), seed=3)
    assert plain.output_size == (256, 256) and plain.driving_frames is None and plain.skeleton_frames is None
    adapter = get_adapter("animate-x", MethodConfig("animate-x", tmp_path, repo=tmp_path))
    assert Input.DRIVING_FRAMES in adapter.consumes
    request = build_request(case, (256, 256), 3, adapter)
    assert request.output_size == (768, 512) and request.reference_image.shape == (768, 512, 3)
    assert request.driving_frames is not None and request.driving_frames.shape == (24, 768, 512, 3)
    assert request.poses is not None and request.poses.image_size == (768, 512)
    assert np.allclose(request.poses.body[..., 1], plain.poses.body[..., 1] * 512 / 768 + 128 / 768)  # type: ignore[union-attr]


def test_visible_devices_follow_cuda_visible_devices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert visible_device("cuda:2") == "2" and visible_device("cuda") == "0" and visible_device("cpu") is None
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "4,5")
    assert visible_device("cuda:1") == "5" and visible_device("cuda:2") is None


def _fake_nvml(used: list[int]) -> types.ModuleType:
    module = types.ModuleType("pynvml")
    state = {"calls": 0, "index": None}

    def memory(_handle: object) -> types.SimpleNamespace:
        state["calls"] += 1
        return types.SimpleNamespace(used=used[min(state["calls"] - 1, len(used) - 1)])

    module.nvmlInit = lambda: None  # type: ignore[attr-defined]
    module.nvmlShutdown = lambda: None  # type: ignore[attr-defined]
    module.nvmlDeviceGetHandleByIndex = lambda index: state.update(index=index) or "handle"  # type: ignore[attr-defined]
    module.nvmlDeviceGetMemoryInfo = memory  # type: ignore[attr-defined]
    module.state = state  # type: ignore[attr-defined]
    return module


def test_peak_gpu_memory_is_sampled_through_nvml(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = _fake_nvml([1000, 1500, 9000, 4000, 2000])
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "3,5")
    with PeakGpuMemory("cuda:1", interval=0.01) as memory:
        time.sleep(0.2)
    assert fake.state["index"] == 5 and memory.peak == 8000  # type: ignore[attr-defined]
    with PeakGpuMemory("cpu") as memory:
        pass
    assert memory.peak is None


def test_without_nvml_the_peak_is_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pynvml", None)
    with PeakGpuMemory("cuda:0") as memory:
        pass
    assert memory.peak is None


def gone(pid: int) -> bool:
    """The process has exited (a zombie not yet reaped by its new parent counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")


def test_a_timed_out_command_loses_its_whole_process_group(tmp_path: Path) -> None:
    code = ("import subprocess, sys, time; child = subprocess.Popen([sys.executable, '-c', 'import time; "
            "time.sleep(60)']); print(child.pid, flush=True); time.sleep(60)")
    log = tmp_path / "job.log"
    completed = run_logged([sys.executable, "-c", code], tmp_path, dict(os.environ), log, timeout=2)
    assert completed.timed_out and completed.returncode is None
    grandchild = int(log.read_text().splitlines()[2])
    time.sleep(0.2)
    assert gone(grandchild)
    assert "killed after 2 s" in log.read_text() and f"$ {sys.executable}" in log.read_text()


def test_a_command_dies_with_the_worker_that_started_it(tmp_path: Path) -> None:
    script = tmp_path / "worker.py"
    script.write_text("import os, sys, time\nfrom pathlib import Path\nfrom a2bench.generate.process import "
                      "run_logged\nrun_logged([sys.executable, '-c', 'import os, time; print(os.getpid(), flush=True);"
                      " time.sleep(60)'], Path.cwd(), dict(os.environ), Path(sys.argv[1]))\n")
    log = tmp_path / "job.log"
    worker = subprocess.Popen([sys.executable, str(script), str(log)], cwd=tmp_path)
    for _ in range(100):
        if log.exists() and len(log.read_text().splitlines()) > 2:
            break
        time.sleep(0.05)
    child = int(log.read_text().splitlines()[2])
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    time.sleep(0.3)
    assert gone(child)


def test_a_jobs_peak_gpu_memory_is_recorded_with_its_result(synth_mini: Suite, tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    from a2bench.data.settings import open_setting
    from a2bench.generate.job import JobSpec, execute
    from a2bench.generate.runner import case_files, job_paths

    monkeypatch.setitem(sys.modules, "pynvml", _fake_nvml([1000, 5000]))
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    case = open_setting(synth_mini).cases[0]
    output, workdir, log = job_paths(tmp_path, "static", 0, case.id)
    spec = JobSpec("static", case.id, 0, "self", case_files(open_setting(synth_mini), case, {}), (256, 256), 8,
                   output, workdir, log)
    result = execute(spec, "cuda:0")
    assert result.done and result.peak_gpu_bytes == 4000 and result.device == "cuda:0"
    assert execute(spec, "cpu").peak_gpu_bytes is None
