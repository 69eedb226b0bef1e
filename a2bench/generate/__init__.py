"""Generation: the adapter interface and registry (adapter), method configuration (config), the harness that
prepares requests and normalises outputs (request, geometry, normalise, job), staging for external
repositories (external, staging, drawing, process), the runner (runner) and its executors (local, ray_executor),
and GPU memory sampling (nvml)."""
