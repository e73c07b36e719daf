"""The deterministic demo data set `python app.py` loads in embedded mode (and `--demo`): two
agencies with their batches, contacts and call logs. See `plan.py`."""
