"""What was sent to you: each signed-in person reads the emails the portal sent them, and only
theirs."""
