"""`a2bench data import`: index a benchmark copy a user has as a verified local suite."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from a2bench.cli.common import QuietOption, RootOption, err, say


def data_import(suite: Annotated[str, typer.Argument(help="a2bench, tiktok, ubc-fashion, or custom.")],
                name: Annotated[str | None, typer.Argument(help="Suite name for `custom` imports.")] = None,
                source: Annotated[Path, typer.Option("--from", help="Folder or archive (.zip, .tar.gz) with the "
                                                     "data.")] = Path("."),
                force: Annotated[bool, typer.Option(help="Replace an earlier import of the same suite.")] = False,
                poses: Annotated[str, typer.Option(help="Cases without poses.npz: auto (DWPose when its weights are "
                                                   "present), extract (require DWPose) or skip.")] = "auto",
                dwpose_weights: Annotated[Path | None, typer.Option(help="Folder with the DWPose ONNX files.")]
                = None,
                root: RootOption = None, quiet: QuietOption = False) -> None:
    """Validate a local copy, copy it under the data root, pin every file's sha256, print the fingerprint.

    Layouts: DIR/<case>/{reference.png|jpg, video.mp4[, poses.npz]} or
    DIR/images/<case>.png + DIR/videos/<case>.mp4 [+ DIR/poses/<case>.npz].
    """
    from a2bench.data.importer import IMPORT_TARGETS, ImportTarget, import_suite
    from a2bench.data.suites import data_root
    from a2bench.errors import A2BenchError
    from a2bench.names import check_name
    from a2bench.progress import progress_bar

    if poses not in ("auto", "extract", "skip"):
        raise A2BenchError(f"unknown --poses mode '{poses}'", fix="use auto, extract or skip")
    if suite == "custom":
        if not name:
            raise A2BenchError("`custom` needs a suite name", fix="run `a2bench data import custom NAME --from DIR`")
        check_name(name, "custom suite name")
        if name in IMPORT_TARGETS or name.startswith("synth"):
            raise A2BenchError(f"'{name}' is a built-in suite name", fix=f"import it as `a2bench data import {name}`"
                               " or choose another name")
        target = ImportTarget(name, f"Custom suite imported from {source}", "as provided by the user", None,
                              ("self",))
    elif name is not None:
        raise A2BenchError(f"a suite name ('{name}') applies to `custom` imports only",
                           fix=f"run `a2bench data import {suite} --from DIR`, or `a2bench data import custom {name} "
                               "--from DIR`")
    elif suite in IMPORT_TARGETS:
        target = IMPORT_TARGETS[suite]
    else:
        raise A2BenchError(f"cannot import suite '{suite}'",
                           fix=f"use one of: {', '.join(IMPORT_TARGETS)}, or `custom NAME`")
    with progress_bar(f"Importing {target.suite}", None, quiet) as advance:
        report = import_suite(target, source, data_root(root), force=force, on_case=advance,
                              poses=poses, dwpose_weights=dwpose_weights)  # type: ignore[arg-type]
    for warning in report.warnings:
        say(f"warning: {warning}", err)
    say(f"{target.suite}: {len(report.manifest.cases)} cases imported into {report.folder}")
    say(f"fingerprint {report.manifest.fingerprint()}")
