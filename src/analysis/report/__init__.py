"""What a report shows and how it says it: the published tables a report reads,
its sections, charts and texts."""
