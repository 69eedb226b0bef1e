#!/usr/bin/env bash
# Prepare the one-command GPU check (benchmarks/gpu/README.md): download, on this machine, the wheels the GPU
# machine lacks (it has no network) into the git-ignored folder .whl/, and build a2bench's own wheel there, with
# the digest of the sources it was built from (.whl/a2bench-tree.sha256, benchmarks/gpu/tree_digest.py): the GPU
# check compares it with the carried tree and says loudly when the wheel is older than the code.
set -euo pipefail
cd "$(dirname "$0")/../.."
# The project's .venv (made by `make test`) has the build tools; any python3 with pip, setuptools and wheel will do.
if [[ -z "${PYTHON:-}" ]]; then [[ -x .venv/bin/python ]] && PYTHON=.venv/bin/python || PYTHON=python3; fi
rm -rf .whl && mkdir -p .whl
# The GPU machine's python3 is CPython 3.12 with torch, torchvision, opencv, scikit-image, scipy, pandas, typer,
# rich, jinja2, torchmetrics, huggingface_hub, threadpoolctl, timm, regex, pyyaml and tqdm already installed.
# decord is a2bench's video decoder on x86_64 (PyAV only its fallback), so the check times what installs run.
WHEELS=(lpips==0.1.4 pytorch-fid==0.3.0 open_clip_torch==3.3.0 ftfy==6.3.1 wcwidth==0.9.4 av==18.1.0
        decord==0.6.0 pydantic==2.14.4 pydantic-core==2.50.5 annotated-types==0.8.0 typing-inspection==0.4.5
        platformdirs==4.14.9 clean-fid==0.1.35 array-api-compat==1.16.0)
"$PYTHON" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 --platform manylinux1_x86_64 -d .whl "${WHEELS[@]}"
# setuptools reuses build/lib: a module deleted from the tree would otherwise still go into the wheel.
rm -rf build
"$PYTHON" benchmarks/gpu/tree_digest.py > .whl/a2bench-tree.sha256
"$PYTHON" -m pip wheel -q --no-deps --no-build-isolation -w .whl .
rm -rf build
if [[ "$("$PYTHON" benchmarks/gpu/tree_digest.py)" != "$(cat .whl/a2bench-tree.sha256)" ]]; then
  echo "prepare.sh: the sources changed while the wheel was built; run it again" >&2
  exit 1
fi
# .whl/ must be git-ignored to be carried (the tracked .gitignore says so; in a worktree .git is a file, so the
# local exclude file is found through git).
git check-ignore -q .whl/ || echo '/.whl/' >> "$(git rev-parse --git-path info/exclude)"
echo "a2bench wheel built from sources $(cat .whl/a2bench-tree.sha256)"
du -sh .whl
