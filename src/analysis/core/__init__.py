"""What every stage shares: parameters, errors, the contract's names, the input catalogue,
the survey data, atomic writes, the display rules and the provenance of a run."""
