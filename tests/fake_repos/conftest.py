"""The fake repositories' scripts are run by the tests, never collected by pytest (test_stage_2.py is MusePose's
entry script)."""

collect_ignore_glob = ["*/*"]
