"""Background side of Claimtrack: RQ jobs, the worker entry point and the extraction pipeline."""
