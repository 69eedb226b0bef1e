"""`a2bench data derive`: write a suite's driving poses for a setting (self, rescaled, robustness tracks)."""

from __future__ import annotations

from typing import Annotated

import typer

from a2bench.cli.common import QuietOption, RootOption, say

SETTING_HELP = ("self | rescaled[:OPS] | track:OPS, with OPS a comma list of GROUP=FACTOR (body, hips, legs, "
                "shoulders, arms, neck, face), drop=PART[+PART] (arms, legs, head), anchor=NAME (tracks); "
                "e.g. rescaled, track:arms=0.5, track:legs=1.5,drop=head. See docs/poses.md.")


def data_derive(suite: Annotated[str, typer.Argument(help="Suite id, e.g. synth.")],
                setting: Annotated[str, typer.Option("--setting", help=SETTING_HELP)],
                seed: Annotated[int, typer.Option("--seed", min=0, help="Seed of the random anchor choice.")] = 0,
                root: RootOption = None, quiet: QuietOption = False) -> None:
    """Derive a suite's driving poses for a setting (and, for synthetic suites, their exact ground truth)."""
    from a2bench.data.derive import derive_suite, parse_setting
    from a2bench.data.suites import open_suite
    from a2bench.progress import progress_bar

    parsed = parse_setting(setting)
    opened = open_suite(suite, root)
    with progress_bar(f"Deriving {suite} {parsed.name}", len(opened.manifest.cases), quiet) as advance:
        result = derive_suite(opened, parsed, seed, on_case=advance)
    state = "derived" if result.written else "already derived and intact"
    say(f"{suite} {parsed.name} (seed {seed}): {result.cases} case(s) {state} in {result.folder}; "
        f"fingerprint {result.fingerprint}")
