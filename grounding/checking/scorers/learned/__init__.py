"""The learned scorer: its word features, forests, record reading and fitted parameters."""
