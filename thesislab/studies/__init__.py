"""Studies: experiment specs, planning into stage jobs, the resumable runner and its executors."""
