"""Stage 1 (synthesize): a realistic synthetic förvaltning with planted truths."""
