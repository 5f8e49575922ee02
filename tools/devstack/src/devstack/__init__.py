"""Run the whole Sun to Moon system on one machine."""
