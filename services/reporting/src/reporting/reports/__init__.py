"""Duty reports (당직일지): data, Excel and PDF rendering, the archive and the end-of-shift schedule."""
