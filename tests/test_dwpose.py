"""DWPose pre/post-processing on analytic cases, the whole pipeline on stand-in networks, missing weights."""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from platformdirs import user_cache_dir

from a2bench.data.poses import dwpose
from a2bench.data.poses.dwpose import (
    COCO17,
    DETECTOR_FILE,
    POSE_FILE,
    DWPose,
    box_center_scale,
    crop_matrix,
    crop_to_image,
    find_weights,
    letterbox,
    nms,
    pose_input,
    simcc_decode,
    weights_dir,
    wholebody_to_parts,
    yolox_grid_decode,
)
from a2bench.data.poses.format import JOINT
from a2bench.errors import A2BenchError


def test_simcc_decode_takes_the_arg_max_over_the_split_ratio_and_the_smaller_peak() -> None:
    x = np.zeros((3, 576))
    y = np.zeros((3, 768))
    x[0, 100], y[0, 300] = 0.9, 0.7
    x[1, 575], y[1, 1] = 0.4, 0.8
    x[2], y[2] = -1.0, -1.0
    locs, scores = simcc_decode(x, y)
    assert np.allclose(locs[0], [50.0, 150.0]) and np.isclose(scores[0], 0.7)
    assert np.allclose(locs[1], [287.5, 0.5]) and np.isclose(scores[1], 0.4)
    assert np.allclose(locs[2], [-0.5, -0.5]) and scores[2] <= 0


def test_box_is_padded_and_widened_to_three_by_four() -> None:
    center, scale = box_center_scale(np.array([10.0, 20.0, 110.0, 220.0]))
    assert np.allclose(center, [60.0, 120.0])
    assert np.allclose(scale, [187.5, 250.0])
    _, wide = box_center_scale(np.array([0.0, 0.0, 400.0, 100.0]))
    assert np.allclose(wide, [500.0, 500.0 / 0.75])


def test_crop_maps_the_box_onto_the_model_input_and_back() -> None:
    center, scale = np.array([60.0, 120.0]), np.array([187.5, 250.0])
    matrix = crop_matrix(center, scale)
    corners = np.array([center - scale / 2, center, center + scale / 2])
    mapped = corners @ matrix[:, :2].T + matrix[:, 2]
    assert np.allclose(mapped, [[0, 0], [144, 192], [288, 384]])
    points = np.array([[3.0, 7.0], [250.0, 10.0], [144.0, 380.0]])
    in_crop = points @ matrix[:, :2].T + matrix[:, 2]
    assert np.allclose(crop_to_image(in_crop, center, scale), points)


def test_pose_input_is_the_normalised_crop_at_the_mapped_place() -> None:
    image = np.zeros((300, 200, 3), dtype=np.uint8)
    image[150, 80] = 255
    center, scale = box_center_scale(np.array([20.0, 40.0, 180.0, 280.0]))
    tensor = pose_input(image, center, scale)
    assert tensor.shape == (1, 3, 384, 288) and tensor.dtype == np.float32
    assert np.isclose(tensor[0, 0].min(), -123.675 / 58.395, atol=1e-4)
    y, x = np.unravel_index(tensor[0, 0].argmax(), tensor.shape[2:])
    expected = np.array([80.0, 150.0]) @ crop_matrix(center, scale)[:, :2].T + crop_matrix(center, scale)[:, 2]
    assert np.allclose([x, y], expected, atol=1.0)


def test_letterbox_scales_into_the_top_left_and_pads_with_114() -> None:
    image = np.full((480, 320, 3), 7, dtype=np.uint8)
    tensor, ratio = letterbox(image)
    assert np.isclose(ratio, 4 / 3) and tensor.shape == (3, 640, 640)
    assert np.all(tensor[:, :, :426] == 7) and np.all(tensor[:, :, 427:] == 114)


def test_yolox_grid_decode_and_nms() -> None:
    raw = np.zeros((8400, 85))
    gx, gy = 5, 7
    raw[gy * 80 + gx, :4] = [0.5, 0.5, np.log(2.0), np.log(3.0)]
    decoded = yolox_grid_decode(raw)
    assert np.allclose(decoded[gy * 80 + gx, :4], [44.0, 60.0, 16.0, 24.0])
    assert np.allclose(decoded[6400 + 1, :2], [16.0, 0.0]) and np.allclose(decoded[8000 + 20, :2], [0.0, 32.0])
    boxes = np.array([[0, 0, 10, 10], [1, 1, 11, 11], [50, 50, 60, 60]], dtype=float)
    assert nms(boxes, np.array([0.5, 0.9, 0.4])) == [1, 2]


def test_wholebody_points_become_coco18_feet_face_and_hands() -> None:
    points = np.stack([np.arange(133) * 2.0, np.arange(133) * 3.0], axis=1)
    scores = np.full(133, 0.8)
    scores[COCO17.index("l_knee")] = -0.2
    scores[100] = 1.7
    parts = wholebody_to_parts(points, scores, (300, 400))
    body = parts["body"]
    for index, name in enumerate(COCO17):
        if name != "l_knee":
            assert np.allclose(body[JOINT[name]], [index * 2 / 400, index * 3 / 300, 0.8]), name
    assert np.all(body[JOINT["l_knee"]] == 0)
    assert np.allclose(body[JOINT["neck"]], [5.5 * 2 / 400, 5.5 * 3 / 300, 1.0])
    assert parts["feet"].shape == (6, 3) and np.isclose(parts["feet"][0, 0], 17 * 2 / 400)
    assert parts["face"].shape == (68, 3) and np.isclose(parts["face"][0, 1], 23 * 3 / 300)
    assert parts["hands"].shape == (42, 3) and np.isclose(parts["hands"][21, 0], 112 * 2 / 400)
    assert parts["hands"][9, 2] == 1.0
    scores[COCO17.index("r_shoulder")] = 0.2
    assert np.all(wholebody_to_parts(points, scores, (300, 400))["body"][JOINT["neck"]] == 0)


class FakeSession:
    """Stands in for an onnxruntime session: `get_inputs` and `run` only."""

    def __init__(self, shape: list[int], respond) -> None:
        self.shape, self.respond = shape, respond

    def get_inputs(self) -> list[SimpleNamespace]:
        return [SimpleNamespace(name="input", shape=self.shape)]

    def run(self, _outputs: None, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        return self.respond(feeds["input"])


def detector_with_box(box: np.ndarray, ratio: float) -> FakeSession:
    """A detector whose only confident anchor decodes to `box` (image pixels) at letterbox `ratio`."""
    def respond(tensor: np.ndarray) -> list[np.ndarray]:
        assert tensor.shape == (1, 3, 640, 640)
        raw = np.zeros((1, 8400, 85), dtype=np.float32)
        centre, size = (box[:2] + box[2:]) / 2 * ratio, (box[2:] - box[:2]) * ratio
        cell = (centre // 32).astype(int)
        index = 6400 + 1600 + cell[1] * 20 + cell[0]
        raw[0, index, :4] = [*(centre / 32 - cell), *np.log(size / 32)]
        raw[0, index, 4:6] = 0.95
        return [raw]
    return FakeSession([1, 3, 640, 640], respond)


def brightest_pixel_pose_model(tensor: np.ndarray) -> list[np.ndarray]:
    """A pose model that puts keypoint 0 (nose) at the brightest pixel of its crop, every other point nowhere."""
    y, x = np.unravel_index(tensor[0].sum(axis=0).argmax(), tensor.shape[2:])
    simcc_x, simcc_y = np.full((1, 133, 576), -1.0), np.full((1, 133, 768), -1.0)
    simcc_x[0, 0, 2 * x], simcc_y[0, 0, 2 * y] = 0.9, 0.9
    return [simcc_x, simcc_y]


def test_the_whole_pipeline_finds_a_bright_dot_where_it_is() -> None:
    frame = np.zeros((480, 640, 3), dtype=np.uint8)
    frame[200, 300] = 255
    model = DWPose(detector_with_box(np.array([200.0, 100.0, 400.0, 400.0]), 1.0),
                   FakeSession([1, 3, 384, 288], brightest_pixel_pose_model))
    poses = model.sequence(np.stack([frame, frame]))
    assert poses.image_size == (480, 640) and set(poses.extra) == {"feet", "face", "hands"}
    assert np.allclose(poses.body[:, JOINT["nose"], :2], [300 / 640, 200 / 480], atol=1.5 / 480)
    assert np.all(poses.body[:, JOINT["nose"], 2] == np.float32(0.9))
    assert np.all(poses.body[:, JOINT["r_ankle"]] == 0)


def test_without_a_detection_the_whole_frame_is_the_box() -> None:
    frame = np.zeros((240, 320, 3), dtype=np.uint8)
    frame[30, 290] = 255
    empty = FakeSession([1, 3, 640, 640], lambda _t: [np.zeros((1, 8400, 85), dtype=np.float32)])
    model = DWPose(empty, FakeSession(["batch", 3, "h", "w"], brightest_pixel_pose_model))
    nose = model.frame(frame)["body"][JOINT["nose"]]
    assert np.allclose(nose[:2], [290 / 320, 30 / 240], atol=1.5 / 240)


def test_missing_weights_name_the_files_and_where_to_get_them(tmp_path: Path) -> None:
    with pytest.raises(A2BenchError) as info:
        find_weights(tmp_path)
    message = info.value.line()
    assert DETECTOR_FILE in message and POSE_FILE in message and "yzd-v/DWPose" in message
    assert str(tmp_path) in message
    (tmp_path / DETECTOR_FILE).write_bytes(b"")
    with pytest.raises(A2BenchError, match=POSE_FILE) as info:
        DWPose.from_weights(tmp_path)
    assert DETECTOR_FILE not in info.value.message


def test_weights_folder_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(dwpose.WEIGHTS_ENV, str(tmp_path))
    assert weights_dir() == tmp_path / "dwpose"
    monkeypatch.delenv(dwpose.WEIGHTS_ENV)
    assert weights_dir() == Path(user_cache_dir("a2bench", appauthor=False)) / "weights" / "dwpose"


def test_missing_onnxruntime_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (DETECTOR_FILE, POSE_FILE):
        (tmp_path / name).write_bytes(b"")
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(A2BenchError, match=r"a2bench\[dwpose\]"):
        DWPose.from_weights(tmp_path)
