"""act: carry out a verdict: relay upstream, refuse with a teaching reply, or quarantine."""
