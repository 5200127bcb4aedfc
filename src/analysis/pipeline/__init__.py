"""The command line that DVC runs: one sub-command per stage."""
