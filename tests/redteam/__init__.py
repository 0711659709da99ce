"""Red-team corpora: tricks a sender may use to hide PII, crossed with kinds and places."""
