"""The interest feed: candidate sources, ranking, re-ranking, session interest, evaluation."""
