"""Stage 3 (indexes): AMI, the question areas, the leadership index and response rates
per unit and group, rolled up the tree, then protected by :mod:`analysis.privacy`."""
