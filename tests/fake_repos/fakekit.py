"""Shared by the fake repositories (copied next to each fake's entry script by tests/fake_repos/__init__.py).

A fake reads its staged inputs the way the real repository does and fails loudly on what the real one would
reject or silently get wrong; it writes its output where the real one does. `fake_mode` in the repository
makes it misbehave on purpose: crash, nothing (exit 0, no output), short (too few frames), wrongsize, hang,
undecodable. Each call is appended to `calls.jsonl` (arguments, cwd, visible GPUs) for the tests to inspect.
"""

import json
import os
import sys
import time
from pathlib import Path

import av
import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent
while not (REPO / "fake_repo.json").exists():
    REPO = REPO.parent


def fail(message):
    sys.stderr.write(f"fake {REPO.name}: {message}\n")
    sys.exit(3)


def mode():
    path = REPO / "fake_mode"
    return path.read_text().strip() if path.exists() else "ok"


def start(argv):
    """Record the call and check the environment a single-GPU inference needs."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    with open(REPO / "calls.jsonl", "a") as stream:
        stream.write(json.dumps({"argv": argv, "cwd": os.getcwd(), "visible": visible, "pid": os.getpid()}) + "\n")
    if not visible or "," in visible:
        fail(f"CUDA_VISIBLE_DEVICES={visible!r}: expected exactly one GPU (more would spawn one process per GPU)")
    for name in ("WORLD_SIZE", "RANK", "MASTER_ADDR", "LOCAL_RANK"):
        if name in os.environ:
            fail(f"{name} is set: the script would start a distributed run")
    print(f"fake {REPO.name}: started on GPU {visible}", flush=True)
    if mode() == "crash":
        raise RuntimeError("CUDA out of memory (fake crash)")
    if mode() == "hang":
        time.sleep(3600)


def require_file(path, what):
    if not Path(path).is_file():
        fail(f"{what} {path} not found")


def image(path):
    with Image.open(path) as picture:
        picture.load()
        return np.asarray(picture.convert("RGB"))


def resize(frame, height, width):
    return np.asarray(Image.fromarray(frame).resize((width, height), Image.BILINEAR))


def read_video(path):
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        fps = float(stream.average_rate)
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(stream)]
    if not frames:
        fail(f"{path} has no frames")
    return np.stack(frames), fps


def write_video(path, frames, fps):
    """Write the result, misbehaving as `fake_mode` says (nothing, short, wrongsize, undecodable)."""
    current = mode()
    if current == "nothing":
        return
    frames = np.asarray(frames, dtype=np.uint8)
    if current == "short":
        frames = frames[: max(1, len(frames) - 3)]
    if current == "wrongsize":
        frames = np.stack([resize(f, f.shape[0] // 2 + 2, f.shape[1] // 2 + 2) for f in frames])
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    if current == "undecodable":
        Path(path).write_bytes(b"\x00\x00\x00\x18ftypmp42 this is not a video")
        return
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=round(fps))
        stream.height, stream.width = frames.shape[1] - frames.shape[1] % 2, frames.shape[2] - frames.shape[2] % 2
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": "10"}
        for frame in frames:
            picture = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame[:stream.height, :stream.width]),
                                                 format="rgb24")
            container.mux(stream.encode(picture))
        container.mux(stream.encode())


def generated(reference, count):
    """What the fake "generates": the reference with its channels rotated, repeated (distinct from every panel)."""
    return np.repeat(np.roll(reference, 1, axis=2)[None], count, axis=0)
