"""Setting up a machine for a run: typed parameters, the doctor, the offline model folder."""
