"""Orders: the state machine, history and cancellation."""
