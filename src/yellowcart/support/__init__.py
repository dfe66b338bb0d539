"""Customer service: order conversations, self-service answers, SLA, templates, masking, e-mail."""
