"""Built-in methods: the CPU baselines, then the adapters of the paper's models, which run each model's own
repository. Importing this package registers them, in this order (the order `a2bench methods list` shows)."""
# isort: skip_file

from a2bench.baselines import static, pose_warp  # noqa: F401  (registration side effects)
from a2bench.baselines import animate_x, unianimate, mimicmotion, moore_animateanyone  # noqa: F401
from a2bench.baselines import controlnext, musepose  # noqa: F401
