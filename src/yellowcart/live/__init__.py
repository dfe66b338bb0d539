"""Live rooms: real-time room state, viewers, recap (rooms); live-only deals (deals)."""
