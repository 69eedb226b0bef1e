"""Built-in CPU baselines. Importing this package registers them with the adapter registry."""

from a2bench.baselines import pose_warp, static  # noqa: F401  (registration side effects)
