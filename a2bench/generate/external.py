"""Adapters that run a method's own repository: stage the case the way the repository reads it, run its own
inference command with the user's interpreter (argument list, no shell, cwd = the repository, one visible GPU,
a time limit, the log captured) and collect the video it wrote.

A subclass names the files that identify its repository, the checkpoints it needs, and implements `stage`
(write the inputs, return the command) and `collect` (find and crop the result).
"""

from __future__ import annotations

import os
from abc import abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np

from a2bench.generate.adapter import Adapter, GenerationRequest, Readiness
from a2bench.generate.config import ConfigError, check_options
from a2bench.generate.normalise import JobFailed
from a2bench.generate.nvml import visible_device
from a2bench.generate.process import run_logged

DEFAULT_TIMEOUT = 3600.0
DROPPED_ENV = ("WORLD_SIZE", "RANK", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT", "PYTHONPATH",
               "PYTHONHOME", "CUDA_VISIBLE_DEVICES")
SHOWN_ENV = ("CUDA_VISIBLE_DEVICES", "CUDA_DEVICE_ORDER")


@dataclass(frozen=True)
class Staged:
    """A staged job: the command to run (in the repository) and what `collect` needs to find the result."""

    argv: list[str]
    outputs: Path
    names: dict[str, str] = field(default_factory=dict)


class ExternalAdapter(Adapter):
    """A method run through its own repository's inference script."""

    needs_gpu = True
    repository: ClassVar[str]  # owner/name on GitHub, for messages and docs
    markers: ClassVar[tuple[str, ...]]  # files (relative to the code folder) that identify the repository
    code_folder: ClassVar[str] = ""  # where the inference code lives inside the repository
    checkpoints_folder: ClassVar[str]  # default checkpoints folder, relative to the code folder
    checkpoint_files: ClassVar[tuple[tuple[str, ...], ...]]  # each entry: alternative names, relative to it
    code_files: ClassVar[tuple[str, ...]] = ()  # files the code reads relative to its cwd (e.g. DWPose ONNX)

    # ---------------------------------------------------------------- configuration

    @property
    def code(self) -> Path:
        """The folder the command runs in."""
        assert self.config is not None and self.config.repo is not None
        return self.config.repo / self.code_folder if self.code_folder else self.config.repo

    @property
    def checkpoints(self) -> Path:
        assert self.config is not None
        return self.config.checkpoints or self.code / self.checkpoints_folder

    def option(self, key: str, default: object) -> object:
        return check_options(self.config, self.options).get(key, default) if self.config else default

    def checkpoint(self, index: int) -> Path:
        """The first present file among the alternatives of checkpoint entry `index` (else the first name)."""
        paths = [self.checkpoints / name for name in self.checkpoint_files[index]]
        return next((path for path in paths if path.exists()), paths[0])

    def readiness(self) -> Readiness:
        """Configured, repository found, interpreter present, checkpoints present — and what to fix."""
        table = f"[methods.{self.name}]"
        if self.config is None:
            return Readiness(False, None, None, (
                f"not configured: add a {table} table with repo and python to a2bench.toml "
                f"(see docs/methods/{self.name}.md)",))
        missing = []
        try:
            check_options(self.config, self.options)
        except ConfigError as exc:
            missing.append(exc.line())
        repo = self.config.repo
        repository = False
        if repo is None:
            missing.append(f"{table} has no repo: set it to your clone of github.com/{self.repository}")
        elif not repo.is_dir():
            missing.append(f"repo {repo} does not exist: set {table} repo to your clone of "
                           f"github.com/{self.repository}")
        else:
            absent = [marker for marker in self.markers if not (self.code / marker).is_file()]
            if absent:
                missing.append(f"{repo} is not a {self.repository} checkout (no {absent[0]}): set {table} repo to "
                               f"your clone of github.com/{self.repository}")
            else:
                repository = True
        python = self.config.python
        if python is None:
            missing.append(f"{table} has no python: set it to the interpreter of the method's environment")
        elif not (python.is_file() and os.access(python, os.X_OK)):
            missing.append(f"python {python} is not an executable file: set {table} python to the interpreter "
                           "of the method's environment (e.g. …/envs/NAME/bin/python)")
        checkpoints = None
        if repository:
            absent = [self.checkpoints / names[0] for names in self.checkpoint_files
                      if not any((self.checkpoints / n).exists() for n in names)]
            absent += [self.code / name for name in self.code_files if not (self.code / name).exists()]
            checkpoints = not absent
            missing += [f"checkpoint {path} is missing (see docs/methods/{self.name}.md)" for path in absent]
        return Readiness(True, repository, checkpoints, tuple(missing))

    # ---------------------------------------------------------------- running

    def environment(self, device: str) -> dict[str, str]:
        """The command's environment: the user's, without distributed-launch variables, one visible GPU."""
        env = {key: value for key, value in os.environ.items() if key not in DROPPED_ENV}
        env.update(CUDA_VISIBLE_DEVICES=visible_device(device) or "", PYTHONUNBUFFERED="1")
        env.setdefault("CUDA_DEVICE_ORDER", "PCI_BUS_ID")  # nvidia-smi's and NVML's numbering
        env.update(self.config.env if self.config else {})
        return env

    def generate(self, request: GenerationRequest) -> np.ndarray | Path:
        assert self.config is not None and self.config.python is not None
        if request.workdir is None or request.log is None:
            raise ValueError("external adapters need the job's workdir and log")
        staged = self.stage(request, request.workdir)
        argv = [str(self.config.python), *staged.argv, *self.config.extra_args]
        timeout = request.timeout or self.config.timeout or DEFAULT_TIMEOUT
        completed = run_logged(argv, self.code, self.environment(request.device), request.log, timeout, SHOWN_ENV)
        if completed.timed_out:
            raise JobFailed(f"{self.name} did not finish within {timeout:g} s and was killed",
                            fix=f"raise timeout in [methods.{self.name}] or check the log for a hang")
        if completed.returncode != 0:
            raise JobFailed(f"{self.name} exited with status {completed.returncode}",
                            fix="see the log's tail for the method's error")
        return self.collect(request, staged)

    @abstractmethod
    def stage(self, request: GenerationRequest, folder: Path) -> Staged:
        """Write the job's inputs under `folder` as the repository reads them; the command's arguments."""

    @abstractmethod
    def collect(self, request: GenerationRequest, staged: Staged) -> np.ndarray | Path:
        """The generated video (its path, or frames cut out of a grid the repository wrote)."""


def crop_panel(video: Path, panels: int, index: int, height: int, width: int, pad: int = 0) -> np.ndarray:
    """Frames of panel `index` of a video of `panels` side-by-side panels of (height, width) each, separated and
    surrounded by `pad` pixels (torchvision's make_grid); a video of another size fails the job."""
    from a2bench.generate.normalise import decode_output

    frames, _ = decode_output(video)
    expected = (height + 2 * pad, panels * width + (panels + 1) * pad)
    if frames.shape[1:3] != expected:
        raise JobFailed(f"expected a grid of {panels} panels of {height}×{width} ({expected[0]}×{expected[1]}), "
                        f"got {frames.shape[1]}×{frames.shape[2]}", path=video,
                        fix="check the method's resolution settings")
    left = pad + index * (width + pad)
    return np.ascontiguousarray(frames[:, pad:pad + height, left:left + width])
